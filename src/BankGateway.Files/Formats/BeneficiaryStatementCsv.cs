using BankGateway.Domain.Statements;

namespace BankGateway.Files.Formats;

/// <summary>
/// Writes the quarterly 明白条 <c>MB_&lt;AdmDivCode&gt;_&lt;yyyy&gt;Q&lt;n&gt;.csv</c> (contract §16) the way the RS_ receipt is
/// written: UTF-8 without BOM, CRLF, RFC 4180 quoting, every cell through <see cref="FormulaEscaping"/>. Header
/// <c>姓名,证件号码,补贴项目名称,补贴金额,补贴发放时间,补贴合计</c>; 补贴金额 and 补贴合计 in yuan with two decimals,
/// 补贴发放时间 the credit's business date <c>yyyy-MM-dd</c>, 补贴合计 only on each person's last row.
/// </summary>
public static class BeneficiaryStatementCsv
{
    /// <summary>The header row.</summary>
    public static readonly IReadOnlyList<string> Header = ["姓名", "证件号码", "补贴项目名称", "补贴金额", "补贴发放时间", "补贴合计"];

    /// <summary><c>MB_adm_yyyyQn.csv</c>.</summary>
    public static string FileName(string admDivCode, StatementPeriod quarter)
    {
        if (!FieldRules.IsDigits(admDivCode, 6, 6)) throw new ArgumentException($"AdmDivCode must be 6 digits, got '{admDivCode}'", nameof(admDivCode));
        if (quarter.Kind != PeriodKind.Quarter) throw new ArgumentException("明白条 are quarterly", nameof(quarter));
        return $"MB_{admDivCode}_{quarter.FileToken}.csv";
    }

    /// <summary>Writes the statement; the stream is left open.</summary>
    public static void Write(BeneficiaryStatement statement, Stream stream)
    {
        using var writer = CsvText.CreateWriter(stream, TextEncodings.Utf8, leaveOpen: true);
        CsvText.WriteRecord(writer, [.. Header]);
        foreach (var row in statement.Rows)
        {
            var c = row.Credit;
            CsvText.WriteRecord(writer,
                FormulaEscaping.Escape(c.Name),
                FormulaEscaping.Escape(c.IdNumber),
                FormulaEscaping.Escape(c.SubsidyName),
                c.Amount.ToString(),
                FlatXml.Text(c.Date),
                row.PersonTotal?.ToString() ?? "");
        }
    }
}
