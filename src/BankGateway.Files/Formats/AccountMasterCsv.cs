using BankGateway.Domain;
using BankGateway.Domain.Vouchers;
using BankGateway.Domain.Text;

namespace BankGateway.Files.Formats;

/// <summary>One row of the account master with its physical line (header = 1).</summary>
public sealed record AccountMasterRow(string AccountNo, string HolderName, string IdNumber, AccountStatus Status, Money? Balance, long FileLine);

/// <summary>
/// The account master from core banking (contract §9): UTF-8 CSV (BOM tolerated), header
/// <c>账号,户名,证件号码,账户状态,余额</c>. 账号 1–32 digits; 户名 and 证件号码 non-empty (at most 64 characters);
/// 账户状态 one of 正常 销户 冻结 久悬 未激活 挂失; 余额 empty (not given) or yuan with two decimals.
/// Streams: a million rows never sit in memory. Errors are <see cref="FileFormatException"/> naming line and column.
/// The writer mirrors the reader (UTF-8 without BOM, CRLF; used by <c>accounts export</c>).
/// </summary>
public static class AccountMasterCsv
{
    /// <summary>The header row.</summary>
    public static readonly string[] Header = ["账号", "户名", "证件号码", "账户状态", "余额"];

    private static readonly string[] StatusTexts = ["正常", "销户", "冻结", "久悬", "未激活", "挂失"];

    /// <summary>The Chinese status text for <paramref name="status"/>.</summary>
    public static string StatusText(AccountStatus status) => StatusTexts[(int)status];

    /// <summary>Parses a Chinese status text; null when unknown.</summary>
    public static AccountStatus? ParseStatus(ReadOnlySpan<char> text)
    {
        for (int i = 0; i < StatusTexts.Length; i++)
            if (text.SequenceEqual(StatusTexts[i])) return (AccountStatus)i;
        return null;
    }

    /// <summary>Streams the rows of <paramref name="stream"/> (disposed when the enumeration ends).</summary>
    public static IEnumerable<AccountMasterRow> Read(Stream stream, string fileName, bool leaveOpen = false)
    {
        using var csv = new CsvRecordReader(stream, TextEncodings.Utf8, fileName, Domain.Codes.RejectCode.None, Header, leaveOpen);
        // 余额 is optional on import (contract §9): the column may be empty or absent altogether.
        int columns = CsvText.ExpectHeader(csv, Header, required: 4);
        while (csv.TryReadRecord())
            yield return Parse(csv, columns);
    }

    private static AccountMasterRow Parse(CsvRecordReader csv, int columns)
    {
        CsvText.ExpectColumns(csv, columns);
        if (!FieldRules.IsDigits(csv.Field(0), 1, 32))
            throw csv.FieldError(0, $"expected an account number of 1–32 digits, got {FileFormatException.Shown(csv.Field(0))}");
        if (!FieldRules.IsText(csv.Field(1), 64))
            throw csv.FieldError(1, $"expected a holder name of 1–64 characters, got {FileFormatException.Shown(csv.Field(1))}");
        if (!FieldRules.IsText(csv.Field(2), 64))
            throw csv.FieldError(2, $"expected an ID number, got {FileFormatException.Shown(csv.Field(2))}");
        var status = ParseStatus(csv.Field(3))
            ?? throw csv.FieldError(3, $"expected one of {string.Join(" ", StatusTexts)}, got {FileFormatException.Shown(csv.Field(3))}");
        Money? balance = null;
        if (columns > 4 && !csv.Field(4).IsEmpty)
        {
            if (!Money.TryParse(csv.Field(4), out var m, out _))
                throw csv.FieldError(4, $"expected empty or yuan with two decimals (e.g. 1200.50), got {FileFormatException.Shown(csv.Field(4))}");
            balance = m;
        }
        // Holder name and ID in the canonical form the F09/F10 checks compare (contract §12).
        return new AccountMasterRow(csv.FieldString(0), CanonicalText.Of(csv.FieldString(1)), CanonicalText.IdNumber(csv.FieldString(2)), status, balance, csv.RecordLine);
    }

    /// <summary>Writes the header and every row (empty 余额 when <see cref="AccountMasterRow.Balance"/> is null).</summary>
    public static void Write(IEnumerable<AccountMasterRow> rows, Stream stream, bool leaveOpen = false)
    {
        using var w = CsvText.CreateWriter(stream, TextEncodings.Utf8, leaveOpen);
        CsvText.WriteRecord(w, Header);
        foreach (var r in rows)
            CsvText.WriteRecord(w, r.AccountNo, r.HolderName, r.IdNumber, StatusText(r.Status), r.Balance?.ToString() ?? "");
    }
}
