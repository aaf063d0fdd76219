using BankGateway.Domain.Catalogue;
using BankGateway.Domain.Codes;
using BankGateway.Domain.Identity;
using BankGateway.Domain.Vouchers;

namespace BankGateway.Domain.Validation;

/// <summary>
/// The pure per-line checks of contract §5 in contract order, F01 to F05; the first failing one
/// wins. F06/F07 (duplicates) and F08–F15 (accounts) need other lines or the account master and
/// are checked in the posting statements (PostingSql.ChunkHead), the one home of the account rules.
/// </summary>
/// <remarks>
/// <para>Hot path (about 1.5 million lines/s with CSV parsing): no allocation on a passing line,
/// no regex, no LINQ; details are constant strings.</para>
/// <para>Decisions where the contract is silent:</para>
/// <list type="bullet">
/// <item>手机号码 is informational: the contract gives it no failure code, and a wrong phone
/// only costs the beneficiary an SMS, not the money. A present but malformed phone therefore
/// never fails the line; <see cref="LineCheck.PhoneWarning"/> is set (see
/// <see cref="PhoneNumber.IsValid"/>) so results and the dashboard can warn.</item>
/// <item>Identifying cells arrive in their canonical form (NFKC, white space trimmed, ID upper-cased:
/// <see cref="Text.CanonicalText"/>, applied by the list reader), so F02/F03 judge what a clerk meant
/// and F05 compares the canonical three elements ordinally, the same form R07 and F07 use. 金额 is
/// judged exactly as written (F04): what is paid must be exactly what the department sent.</item>
/// </list>
/// </remarks>
public static class LineFieldChecks
{
    /// <summary>Runs F01–F05 on <paramref name="line"/> against its <paramref name="voucher"/> and catalogue <paramref name="entry"/>.</summary>
    public static LineCheck Check(IssuanceLine line, Voucher voucher, CatalogueEntry entry)
    {
        // Parse the amount first, whatever else fails: R03 sums every line's amount.
        Money? amount = Money.TryParse(line.Amount, out var parsed, out _) ? parsed : null;
        bool phoneWarning = !PhoneNumber.IsValid(line.Phone);

        string? missing = MissingField(line);
        if (missing is not null) return Fail(FailureCode.F01, amount, missing, phoneWarning);

        if (!ResidentId.IsValid(line.IdNumber))
            return Fail(FailureCode.F02, amount, "证件号码 (IdNumber): format, birth date or check digit invalid", phoneWarning);

        if (!BankAccountNumber.IsValid(line.AccountNo))
            return Fail(FailureCode.F03, amount, "银行账号 (AccountNo): not 16-19 digits or Luhn check fails", phoneWarning);

        if (amount is not { } a)
            return Fail(FailureCode.F04, amount, "金额 (Amount): not yuan with exactly two decimals", phoneWarning);
        if (!a.IsPositive)
            return Fail(FailureCode.F04, amount, "金额 (Amount): not positive", phoneWarning);
        if (entry.LineCap is { } cap && a > cap)
            return Fail(FailureCode.F04, amount, "金额 (Amount): above the catalogue's per-line cap", phoneWarning);

        if (!SameElement(line.DeptName, voucher.DeptName))
            return Fail(FailureCode.F05, amount, "主管部门 (DeptName): differs from the voucher's", phoneWarning);
        if (!SameElement(line.SubsidyName, voucher.SubsidyName))
            return Fail(FailureCode.F05, amount, "补贴名称 (SubsidyName): differs from the voucher's", phoneWarning);
        if (!SameElement(line.Period, voucher.Period))
            return Fail(FailureCode.F05, amount, "发放周期 (Period): differs from the voucher's", phoneWarning);

        return new LineCheck(FailureCode.None, amount, null, phoneWarning);
    }

    /// <summary>The detail naming the first required field that is empty or whitespace-only, or null.</summary>
    private static string? MissingField(IssuanceLine line)
    {
        if (string.IsNullOrWhiteSpace(line.SeqNo)) return "序号 (SeqNo) is empty";
        if (string.IsNullOrWhiteSpace(line.Name)) return "姓名 (Name) is empty";
        if (string.IsNullOrWhiteSpace(line.IdNumber)) return "证件号码 (IdNumber) is empty";
        if (string.IsNullOrWhiteSpace(line.AccountNo)) return "银行账号 (AccountNo) is empty";
        if (string.IsNullOrWhiteSpace(line.DeptName)) return "主管部门 (DeptName) is empty";
        if (string.IsNullOrWhiteSpace(line.SubsidyName)) return "补贴名称 (SubsidyName) is empty";
        if (string.IsNullOrWhiteSpace(line.Amount)) return "金额 (Amount) is empty";
        if (string.IsNullOrWhiteSpace(line.Period)) return "发放周期 (Period) is empty";
        return null;
    }

    // Both sides are canonical already (list reader, voucher reader); canonicalising again is free for them
    // and keeps the rule true for a caller that builds lines by hand.
    private static bool SameElement(string lineValue, string voucherValue) =>
        string.Equals(Text.CanonicalText.Of(lineValue), Text.CanonicalText.Of(voucherValue), StringComparison.Ordinal);

    private static LineCheck Fail(FailureCode code, Money? amount, string detail, bool phoneWarning) =>
        new(code, amount, detail, phoneWarning);
}
