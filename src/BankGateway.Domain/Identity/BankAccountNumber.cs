namespace BankGateway.Domain.Identity;

/// <summary>
/// A social-security-card bank account number (contract §4): 16–19 ASCII digits whose last digit
/// is the Luhn (ISO/IEC 7812) check digit. Pure and allocation-free for the validation hot path.
/// </summary>
public static class BankAccountNumber
{
    /// <summary>Fewest digits an account number may have.</summary>
    public const int MinLength = 16;

    /// <summary>Most digits an account number may have.</summary>
    public const int MaxLength = 19;

    /// <summary>True when <paramref name="accountNo"/> is 16–19 digits and passes the Luhn check.</summary>
    public static bool IsValid(ReadOnlySpan<char> accountNo) => Explain(accountNo) is null;

    /// <summary>The reason <paramref name="accountNo"/> is invalid (length, characters or Luhn), or null when valid.</summary>
    public static string? Explain(ReadOnlySpan<char> accountNo)
    {
        if (accountNo.Length is < MinLength or > MaxLength)
            return "银行账号须为16至19位数字 (account number must be 16 to 19 digits)";
        foreach (char c in accountNo)
            if (c is < '0' or > '9') return "银行账号只能包含数字 (account number must contain digits only)";
        return LuhnDigit(accountNo[..^1]) == accountNo[^1] ? null : "银行账号校验位错误 (account number fails the Luhn check)";
    }

    /// <summary>The Luhn check digit to append to <paramref name="withoutCheck"/>.</summary>
    /// <exception cref="ArgumentException">Empty or not all ASCII digits.</exception>
    public static char ComputeLuhnDigit(ReadOnlySpan<char> withoutCheck)
    {
        if (withoutCheck.IsEmpty) throw new ArgumentException("expected at least one digit", nameof(withoutCheck));
        foreach (char c in withoutCheck)
            if (c is < '0' or > '9') throw new ArgumentException("expected digits only", nameof(withoutCheck));
        return LuhnDigit(withoutCheck);
    }

    private static char LuhnDigit(ReadOnlySpan<char> payload)
    {
        // Double every second digit counting leftwards from the one next to the (absent) check digit.
        int sum = 0;
        bool doubleIt = true;
        for (int i = payload.Length - 1; i >= 0; i--)
        {
            int d = payload[i] - '0';
            if (doubleIt) { d *= 2; if (d > 9) d -= 9; }
            sum += d;
            doubleIt = !doubleIt;
        }
        return (char)('0' + (10 - sum % 10) % 10);
    }
}
