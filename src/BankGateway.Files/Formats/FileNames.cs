using System.Globalization;

namespace BankGateway.Files.Formats;

/// <summary>
/// The file names of contract §2. Inbound names are parsed, never used as paths unless
/// <see cref="IsSafeFileName"/>; outbound names are built here only.
/// </summary>
public static class FileNames
{
    /// <summary>Suffix of every signature file: <c>F</c> travels with <c>F.sig</c>.</summary>
    public const string SignatureSuffix = ".sig";

    /// <summary>
    /// Parses <c>PV_&lt;AdmDivCode&gt;_&lt;VoucherNo&gt;.xml</c>: six digits, then 1–32 of <c>[A-Za-z0-9-]</c>.
    /// Case-sensitive (<c>PV_</c> and <c>.xml</c> exactly); anything else is not a voucher.
    /// </summary>
    public static bool TryParseVoucherFileName(string name, out string admDivCode, out string voucherNo)
    {
        admDivCode = "";
        voucherNo = "";
        if (name is null || !name.StartsWith("PV_", StringComparison.Ordinal) || !name.EndsWith(".xml", StringComparison.Ordinal))
            return false;
        var middle = name.AsSpan(3, name.Length - 3 - 4);
        if (middle.Length < 8 || middle[6] != '_') return false;
        var adm = middle[..6];
        var no = middle[7..];
        if (!FieldRules.IsDigits(adm, 6, 6) || !FieldRules.IsVoucherNo(no)) return false;
        admDivCode = adm.ToString();
        voucherNo = no.ToString();
        return true;
    }

    /// <summary><c>PV_adm_no.xml</c>.</summary>
    public static string Voucher(string admDivCode, string voucherNo) => Build("PV", admDivCode, voucherNo, ".xml");

    /// <summary>The usual detail-file name <c>QC_adm_no.csv</c> (the voucher's <c>DetailFile</c> is authoritative).</summary>
    public static string IssuanceList(string admDivCode, string voucherNo) => Build("QC", admDivCode, voucherNo, ".csv");

    /// <summary>Voucher receipt <c>HD_adm_no.xml</c>.</summary>
    public static string Receipt(string admDivCode, string voucherNo) => Build("HD", admDivCode, voucherNo, ".xml");

    /// <summary>Detail receipt <c>RS_adm_no.csv</c>.</summary>
    public static string Result(string admDivCode, string voucherNo) => Build("RS", admDivCode, voucherNo, ".csv");

    /// <summary>Rejection notice <c>RJ_adm_no.xml</c>.</summary>
    public static string Rejection(string admDivCode, string voucherNo) => Build("RJ", admDivCode, voucherNo, ".xml");

    /// <summary>Return notice <c>TH_adm_no.xml</c>.</summary>
    public static string ReturnNotice(string admDivCode, string voucherNo) => Build("TH", admDivCode, voucherNo, ".xml");

    /// <summary>Clearing request <c>QS_adm_yyyyMMdd.xml</c>.</summary>
    public static string Clearing(string admDivCode, DateOnly clearDate)
    {
        RequireAdm(admDivCode);
        return $"QS_{admDivCode}_{clearDate.ToString("yyyyMMdd", CultureInfo.InvariantCulture)}.xml";
    }

    /// <summary>The signature file's name for <paramref name="fileName"/>.</summary>
    public static string Signature(string fileName) => fileName + SignatureSuffix;

    /// <summary>
    /// True when <paramref name="name"/> is a plain file name safe to join to a folder: 1–255 characters,
    /// no '/', '\\', "..", ':' or control characters, not "." .
    /// </summary>
    public static bool IsSafeFileName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 255 || name == ".") return false;
        if (name.Contains("..", StringComparison.Ordinal)) return false;
        foreach (var c in name)
            if (c is '/' or '\\' or ':' || char.IsControl(c)) return false;
        return true;
    }

    /// <summary>
    /// True for the names the gateway sends (contract §2): <c>HD_</c>/<c>RJ_</c>/<c>TH_</c> <c>adm_no.xml</c>,
    /// <c>RS_adm_no.csv</c>, <c>QS_adm_yyyyMMdd.xml</c>, and the <c>.sig</c> of any of them. Anything else in an
    /// outbox (a <c>.mismatch</c> copy set aside, an editor's backup, a temporary file) is never delivered.
    /// </summary>
    public static bool IsOutboundFileName(string? name)
    {
        if (string.IsNullOrEmpty(name)) return false;
        if (name.EndsWith(SignatureSuffix, StringComparison.Ordinal)) name = name[..^SignatureSuffix.Length];
        if (name.Length < 12 || name[2] != '_' || name[9] != '_' || !FieldRules.IsDigits(name.AsSpan(3, 6), 6, 6)) return false;
        string prefix = name[..2];
        string extension = prefix is "RS" or "MB" ? ".csv" : ".xml";
        if (prefix is not ("HD" or "RS" or "RJ" or "TH" or "QS" or "DZ" or "MB") || !name.EndsWith(extension, StringComparison.Ordinal)) return false;
        var tail = name.AsSpan(10, name.Length - 10 - extension.Length);
        return prefix switch
        {
            "QS" => FieldRules.IsDigits(tail, 8, 8) && DateOnly.TryParseExact(tail, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
            // statements (contract §14, §16): DZ_<adm>_<yyyyMM|yyyy>, MB_<adm>_<yyyy>Q<n>
            "DZ" => (FieldRules.IsDigits(tail, 6, 6) && tail[4..] is var m && m[0] <= '1' && (m[0] == '1' ? m[1] <= '2' : m[1] >= '1')) || FieldRules.IsDigits(tail, 4, 4),
            "MB" => tail.Length == 6 && FieldRules.IsDigits(tail[..4], 4, 4) && tail[4] == 'Q' && tail[5] is >= '1' and <= '4',
            _ => FieldRules.IsVoucherNo(tail),
        };
    }

    /// <summary>True for names the intake must leave alone because they are still being written.</summary>
    public static bool IsInProgress(string name) =>
        name.EndsWith(".tmp", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".part", StringComparison.OrdinalIgnoreCase);

    private static string Build(string prefix, string admDivCode, string voucherNo, string extension)
    {
        RequireAdm(admDivCode);
        if (!FieldRules.IsVoucherNo(voucherNo))
            throw new ArgumentException($"voucher number must be 1–32 of [A-Za-z0-9-], got '{voucherNo}'", nameof(voucherNo));
        return $"{prefix}_{admDivCode}_{voucherNo}{extension}";
    }

    private static void RequireAdm(string admDivCode)
    {
        if (!FieldRules.IsDigits(admDivCode, 6, 6))
            throw new ArgumentException($"AdmDivCode must be 6 digits, got '{admDivCode}'", nameof(admDivCode));
    }
}
