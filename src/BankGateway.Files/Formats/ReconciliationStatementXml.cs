using BankGateway.Domain.Statements;

namespace BankGateway.Files.Formats;

/// <summary>
/// Writes the month-end / year-end reconciliation statement <c>DZ_&lt;AdmDivCode&gt;_&lt;yyyyMM|yyyy&gt;.xml</c>
/// (contract §14) as flat XML with root <c>&lt;ReconciliationStatement&gt;</c>: AdmDivCode, Period (yyyy-MM or yyyy),
/// ReceivedCount, ReceivedAmt, PaidAmt, FailedAmt, ReturnedAmt, PendingReturnAmt, ClearedAmt, TreasuryAmt,
/// GrainFundAmt, then <c>&lt;Lines&gt;&lt;Line VoucherNo BusinessDate FundChannel PayAmt PaidAmt FailedAmt
/// ReturnedAmt ReturnDate ClearDate/&gt;…&lt;/Lines&gt;</c> (dates yyyy-MM-dd, empty when none). The statement is
/// checked (<see cref="ReconciliationStatement.Check"/>) before a byte is written. No timestamp: the same figures
/// always give the same bytes.
/// </summary>
public static class ReconciliationStatementXml
{
    /// <summary>The root element.</summary>
    public const string Root = "ReconciliationStatement";

    /// <summary>The fields under the root, in order.</summary>
    public static readonly IReadOnlyList<string> Fields =
    [
        "AdmDivCode", "Period", "ReceivedCount", "ReceivedAmt", "PaidAmt", "FailedAmt", "ReturnedAmt", "PendingReturnAmt", "ClearedAmt",
        "TreasuryAmt", "GrainFundAmt",
    ];

    /// <summary>The attributes of every <c>&lt;Line/&gt;</c>, in order.</summary>
    public static readonly IReadOnlyList<string> LineAttributes =
        ["VoucherNo", "BusinessDate", "FundChannel", "PayAmt", "PaidAmt", "FailedAmt", "ReturnedAmt", "ReturnDate", "ClearDate"];

    /// <summary><c>DZ_adm_yyyyMM.xml</c> for a month, <c>DZ_adm_yyyy.xml</c> for a year.</summary>
    public static string FileName(string admDivCode, StatementPeriod period)
    {
        if (!FieldRules.IsDigits(admDivCode, 6, 6)) throw new ArgumentException($"AdmDivCode must be 6 digits, got '{admDivCode}'", nameof(admDivCode));
        if (period.Kind == PeriodKind.Quarter) throw new ArgumentException("DZ_ statements are monthly or yearly", nameof(period));
        return $"DZ_{admDivCode}_{period.FileToken}.xml";
    }

    /// <summary>Writes the statement (UTF-8 without BOM, indented, LF) after checking its figures.</summary>
    public static void Write(ReconciliationStatement statement, Stream stream)
    {
        statement.Check();
        using var w = FlatXml.CreateWriter(stream);
        w.WriteStartElement(Root);
        FlatXml.WriteFields(w,
        [
            ("AdmDivCode", statement.AdmDivCode),
            ("Period", statement.Period.Label),
            ("ReceivedCount", FlatXml.Text(statement.ReceivedCount)),
            ("ReceivedAmt", FlatXml.Text(statement.ReceivedAmt)),
            ("PaidAmt", FlatXml.Text(statement.PaidAmt)),
            ("FailedAmt", FlatXml.Text(statement.FailedAmt)),
            ("ReturnedAmt", FlatXml.Text(statement.ReturnedAmt)),
            ("PendingReturnAmt", FlatXml.Text(statement.PendingReturnAmt)),
            ("ClearedAmt", FlatXml.Text(statement.ClearedAmt)),
            ("TreasuryAmt", FlatXml.Text(statement.TreasuryAmt)),
            ("GrainFundAmt", FlatXml.Text(statement.GrainFundAmt)),
        ]);
        w.WriteStartElement(FlatXml.LinesElement);
        foreach (var line in statement.Lines)
        {
            w.WriteStartElement(FlatXml.LineElement);
            w.WriteAttributeString("VoucherNo", line.VoucherNo);
            w.WriteAttributeString("BusinessDate", FlatXml.Text(line.BusinessDate));
            w.WriteAttributeString("FundChannel", line.FundChannel.ToString());
            w.WriteAttributeString("PayAmt", FlatXml.Text(line.PayAmt));
            w.WriteAttributeString("PaidAmt", FlatXml.Text(line.PaidAmt));
            w.WriteAttributeString("FailedAmt", FlatXml.Text(line.FailedAmt));
            w.WriteAttributeString("ReturnedAmt", FlatXml.Text(line.ReturnedAmt));
            w.WriteAttributeString("ReturnDate", line.ReturnDate is { } r ? FlatXml.Text(r) : "");
            w.WriteAttributeString("ClearDate", line.ClearDate is { } c ? FlatXml.Text(c) : "");
            w.WriteEndElement();
        }
        w.WriteEndElement();
        w.WriteEndElement();
    }
}
