using BankGateway.Domain;
using BankGateway.Domain.Codes;
using BankGateway.Domain.Vouchers;

namespace BankGateway.Files.Formats;

/// <summary>
/// The payment voucher <c>PV_*.xml</c> (contract §3): root <c>&lt;Voucher&gt;</c> with one element per field.
/// <para>Reading is safe for hostile input: DTD processing prohibited (a DOCTYPE or entity declaration is refused),
/// no resolver, at most 1 MiB characters, strict UTF-8 whatever the declaration says. Every field is checked;
/// the first problem gives R05 naming the element:</para>
/// <list type="bullet">
/// <item>VtCode 4 digits; AdmDivCode 6 digits; StYear 4 digits; VoucherNo 1–32 of [A-Za-z0-9-];
/// VouDate a real date yyyy-MM-dd.</item>
/// <item>DeptCode, SubsidyCode: 1–32 characters; DeptName, SubsidyName, PayAcctName, ReturnAcctName: 1–128 characters;
/// none with control characters.</item>
/// <item>Period: <c>yyyy-MM</c> (month 01–12), or for non-monthly subsidies <c>yyyy-Qn</c> (n 1–4), <c>yyyy-Hn</c> (n 1–2) or <c>yyyy</c>.</item>
/// <item>PayAcctNo, ReturnAcctNo: 1–32 digits. FundChannel: TREASURY or GRAIN_FUND exactly.</item>
/// <item>PayAmt: yuan with two decimals (<see cref="Money.TryParse"/>), positive. DetailCount: positive whole number.</item>
/// <item>DetailFile: a plain file name, 1–128 characters, no path separators, no "..", not starting with '.'.</item>
/// <item>DetailFileSm3: 64 hex digits; upper case is accepted and normalised to lower case (the digest is the same).</item>
/// <item>DetailEncoding: UTF-8 or GB18030 (case-insensitive). ReissueOf: optional; empty or absent means none,
/// else a voucher number different from VoucherNo.</item>
/// <item>Unknown or repeated elements, attributes and text outside the fields are refused (a misspelt
/// <c>ReissueOf</c> must not be silently ignored). Leading/trailing whitespace inside an element is trimmed.</item>
/// </list>
/// </summary>
public static class VoucherXml
{
    /// <summary>The root element.</summary>
    public const string Root = "Voucher";

    /// <summary>Every field in contract order.</summary>
    public static readonly IReadOnlyList<string> Fields =
    [
        "VtCode", "AdmDivCode", "StYear", "VoucherNo", "VouDate", "DeptCode", "DeptName", "SubsidyCode", "SubsidyName",
        "Period", "PayAcctNo", "PayAcctName", "FundChannel", "ReturnAcctNo", "ReturnAcctName", "PayAmt", "DetailCount",
        "DetailFile", "DetailFileSm3", "DetailEncoding", "ReissueOf",
    ];

    private static readonly HashSet<string> FieldSet = new(Fields, StringComparer.Ordinal);

    /// <summary>Reads and checks a voucher; never throws for bad content (the result carries the R05 problem).</summary>
    /// <param name="stream">The voucher's bytes.</param>
    /// <param name="fileName">Name used in messages (e.g. <c>PV_522726_ZF2024000123.xml</c>).</param>
    public static VoucherReadResult Read(Stream stream, string fileName)
    {
        try
        {
            var doc = FlatXml.Read(stream, fileName, Root, FieldSet, lineAttributes: null, RejectCode.R05);
            return VoucherReadResult.Ok(Build(doc));
        }
        catch (FileFormatException ex)
        {
            return VoucherReadResult.Failed(ex);
        }
    }

    private static Voucher Build(FlatDocument d)
    {
        var vtCode = d.Match("VtCode", s => FieldRules.IsDigits(s, 4, 4), "4 digits");
        var adm = d.Match("AdmDivCode", s => FieldRules.IsDigits(s, 6, 6), "6 digits");
        var stYear = int.Parse(d.Match("StYear", s => FieldRules.IsDigits(s, 4, 4), "a year of 4 digits"), System.Globalization.CultureInfo.InvariantCulture);
        var voucherNo = d.Match("VoucherNo", s => FieldRules.IsVoucherNo(s), "1–32 characters of A-Z a-z 0-9 -");
        var vouDate = d.Date("VouDate");
        var deptCode = d.Match("DeptCode", s => FieldRules.IsText(s, 32), "a code of 1–32 characters");
        var deptName = d.Match("DeptName", s => FieldRules.IsText(s, 128), "a name of 1–128 characters");
        var subsidyCode = d.Match("SubsidyCode", s => FieldRules.IsText(s, 32), "a code of 1–32 characters");
        var subsidyName = d.Match("SubsidyName", s => FieldRules.IsText(s, 128), "a name of 1–128 characters");
        var period = d.Match("Period", IsPeriod, "a period yyyy-MM (or yyyy-Qn, yyyy-Hn, yyyy)");
        var payAcctNo = d.Match("PayAcctNo", s => FieldRules.IsDigits(s, 1, 32), "an account number of 1–32 digits");
        var payAcctName = d.Match("PayAcctName", s => FieldRules.IsText(s, 128), "a name of 1–128 characters");
        var fundChannel = d.Parse("FundChannel", ParseFundChannel, "TREASURY or GRAIN_FUND");
        var returnAcctNo = d.Match("ReturnAcctNo", s => FieldRules.IsDigits(s, 1, 32), "an account number of 1–32 digits");
        var returnAcctName = d.Match("ReturnAcctName", s => FieldRules.IsText(s, 128), "a name of 1–128 characters");
        var payAmt = d.Money("PayAmt");
        if (!payAmt.IsPositive) throw d.Error(d.LineOf("PayAmt"), "PayAmt", $"expected a positive amount, got '{payAmt}'");
        var detailCount = d.Count("DetailCount");
        if (detailCount <= 0) throw d.Error(d.LineOf("DetailCount"), "DetailCount", "expected a positive number of lines, got 0");
        var detailFile = d.Match("DetailFile", IsDetailFileName, "a plain file name of 1–128 characters (no path, no '..')");
        var sm3 = d.Match("DetailFileSm3", s => FieldRules.IsLowerOrUpperHex(s, 64), "64 hex digits (SM3)").ToLowerInvariant();
        var encoding = d.Parse("DetailEncoding", ParseEncoding, "UTF-8 or GB18030");
        string? reissueOf = d.Fields.TryGetValue("ReissueOf", out var r) && r.Value.Length > 0 ? r.Value : null;
        if (reissueOf is not null)
        {
            if (!FieldRules.IsVoucherNo(reissueOf))
                throw d.Error(r.Line, "ReissueOf", $"expected empty or a voucher number (1–32 of A-Z a-z 0-9 -), got {FileFormatException.Shown(reissueOf)}");
            if (reissueOf == voucherNo)
                throw d.Error(r.Line, "ReissueOf", "expected the original voucher's number, got this voucher's own number");
        }
        return new Voucher(vtCode, adm, stYear, voucherNo, vouDate, deptCode, deptName, subsidyCode, subsidyName, period,
            payAcctNo, payAcctName, fundChannel, returnAcctNo, returnAcctName, payAmt, detailCount, detailFile, sm3,
            encoding, reissueOf);
    }

    /// <summary>Writes the voucher in contract order (mirror of <see cref="Read"/>; used by the sample generator).</summary>
    public static void Write(Voucher voucher, Stream stream)
    {
        using var w = FlatXml.CreateWriter(stream);
        w.WriteStartElement(Root);
        FlatXml.WriteFields(w,
        [
            ("VtCode", voucher.VtCode),
            ("AdmDivCode", voucher.AdmDivCode),
            ("StYear", FlatXml.Text(voucher.StYear)),
            ("VoucherNo", voucher.VoucherNo),
            ("VouDate", FlatXml.Text(voucher.VouDate)),
            ("DeptCode", voucher.DeptCode),
            ("DeptName", voucher.DeptName),
            ("SubsidyCode", voucher.SubsidyCode),
            ("SubsidyName", voucher.SubsidyName),
            ("Period", voucher.Period),
            ("PayAcctNo", voucher.PayAcctNo),
            ("PayAcctName", voucher.PayAcctName),
            ("FundChannel", voucher.FundChannel.ToString()),
            ("ReturnAcctNo", voucher.ReturnAcctNo),
            ("ReturnAcctName", voucher.ReturnAcctName),
            ("PayAmt", voucher.PayAmt.ToString()),
            ("DetailCount", FlatXml.Text(voucher.DetailCount)),
            ("DetailFile", voucher.DetailFile),
            ("DetailFileSm3", voucher.DetailFileSm3),
            ("DetailEncoding", EncodingText(voucher.DetailEncoding)),
            ("ReissueOf", voucher.ReissueOf),
        ]);
        w.WriteEndElement();
    }

    /// <summary>The contract's spelling of a detail encoding: <c>UTF-8</c> or <c>GB18030</c>.</summary>
    public static string EncodingText(DetailEncoding encoding) => TextEncodings.Name(encoding);

    /// <summary>The period rule: yyyy-MM, yyyy-Qn, yyyy-Hn or yyyy.</summary>
    public static bool IsPeriod(string s)
    {
        if (s.Length < 4 || !FieldRules.IsDigits(s.AsSpan(0, 4), 4, 4)) return false;
        if (s.Length == 4) return true;
        if (s.Length != 7 || s[4] != '-') return false;
        char a = s[5], b = s[6];
        if (a == 'Q') return b is >= '1' and <= '4';
        if (a == 'H') return b is '1' or '2';
        return (a == '0' && b is >= '1' and <= '9') || (a == '1' && b is >= '0' and <= '2');
    }

    private static FundChannel? ParseFundChannel(string s) => s switch
    {
        "TREASURY" => FundChannel.TREASURY,
        "GRAIN_FUND" => FundChannel.GRAIN_FUND,
        _ => null,
    };

    private static DetailEncoding? ParseEncoding(string s) =>
        s.Equals("UTF-8", StringComparison.OrdinalIgnoreCase) ? DetailEncoding.Utf8
        : s.Equals("GB18030", StringComparison.OrdinalIgnoreCase) ? DetailEncoding.Gb18030
        : null;

    private static bool IsDetailFileName(string s) =>
        s.Length <= 128 && FileNames.IsSafeFileName(s) && s[0] != '.';
}
