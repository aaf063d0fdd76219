using BankGateway.Domain.Catalogue;
using BankGateway.Domain.Codes;
using BankGateway.Domain.Validation;
using BankGateway.Domain.Vouchers;

namespace BankGateway.Worker.Validation;

/// <summary>
/// The checks that need no database, run while the list streams in: F01–F05 per line and F06
/// (same 证件号码 earlier in this voucher). The F06 set holds one long per person, about 30 MB for a
/// million lines, instead of a million strings.
/// </summary>
/// <remarks>
/// Decision: an earlier line only makes a later one a duplicate (F06) if it passed F01–F05 itself;
/// a line that failed for its own data cannot be paid, so the later corrected line is the one paid.
/// </remarks>
internal sealed class LinePrechecker(Voucher voucher, CatalogueEntry entry)
{
    private readonly HashSet<long> _seenIds = [];

    public int PhoneWarnings { get; private set; }

    /// <summary>Checks one line: the failure code (None when F01–F06 pass) and the amount it reports.</summary>
    public (FailureCode Code, long? ReportedFen) Check(IssuanceLine line)
    {
        var check = LineFieldChecks.Check(line, voucher, entry);
        if (check.PhoneWarning) PhoneWarnings++;
        long? reported = check.Amount is { } m ? m.Fen : ReportedAmount.Fen(line.Amount);
        if (!check.IsOk) return (check.Code, reported);
        if (!_seenIds.Add(IdKey(line.IdNumber))) return (FailureCode.F06, reported);
        return (FailureCode.None, reported);
    }

    /// <summary>A valid resident ID as one number: 17 digits times 11 plus the check value (X = 10).</summary>
    internal static long IdKey(ReadOnlySpan<char> id)
    {
        long key = 0;
        for (int i = 0; i < 17; i++) key = key * 10 + (id[i] - '0');
        char c = id[17];
        return key * 11 + (c is 'X' or 'x' ? 10 : c - '0');
    }
}
