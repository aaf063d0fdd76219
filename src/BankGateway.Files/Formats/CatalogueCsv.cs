using System.Globalization;
using BankGateway.Domain;
using BankGateway.Domain.Catalogue;
using BankGateway.Domain.Vouchers;
using BankGateway.Domain.Text;

namespace BankGateway.Files.Formats;

/// <summary>One catalogue item with its physical line (header = 1).</summary>
public sealed record CatalogueRow(CatalogueEntry Entry, long FileLine);

/// <summary>
/// The subsidy catalogue (补贴政策清单, contract §9): UTF-8 CSV (BOM tolerated), header
/// <c>年度,层级,主管部门,补贴编码,补贴名称,资金渠道,发放频次,单笔上限</c>. 年度 4 digits; 层级 中央/省级/州级/县级;
/// 主管部门, 补贴编码, 补贴名称 non-empty; 资金渠道 TREASURY/GRAIN_FUND; 发放频次 free text (may be empty);
/// 单笔上限 empty (uncapped) or a positive amount. Errors are <see cref="FileFormatException"/> naming line and column.
/// </summary>
public static class CatalogueCsv
{
    /// <summary>The header row.</summary>
    public static readonly string[] Header = ["年度", "层级", "主管部门", "补贴编码", "补贴名称", "资金渠道", "发放频次", "单笔上限"];

    /// <summary>Streams the items of <paramref name="stream"/> (disposed when the enumeration ends).</summary>
    public static IEnumerable<CatalogueRow> Read(Stream stream, string fileName, bool leaveOpen = false)
    {
        using var csv = new CsvRecordReader(stream, TextEncodings.Utf8, fileName, Domain.Codes.RejectCode.None, Header, leaveOpen);
        // 单笔上限 is optional (contract §9): empty, or the column left out altogether.
        int columns = CsvText.ExpectHeader(csv, Header, required: 7);
        while (csv.TryReadRecord())
            yield return Parse(csv, columns);
    }

    private static CatalogueRow Parse(CsvRecordReader csv, int columns)
    {
        CsvText.ExpectColumns(csv, columns);
        if (!FieldRules.IsDigits(csv.Field(0), 4, 4))
            throw csv.FieldError(0, $"expected a year of 4 digits, got {FileFormatException.Shown(csv.Field(0))}");
        int year = int.Parse(csv.Field(0), NumberStyles.None, CultureInfo.InvariantCulture);
        var level = csv.FieldString(1);
        if (!CatalogueEntry.Levels.Contains(level))
            throw csv.FieldError(1, $"expected one of {string.Join("/", CatalogueEntry.Levels)}, got {FileFormatException.Shown(level)}");
        for (int i = 2; i <= 4; i++)
            if (!FieldRules.IsText(csv.Field(i), 128))
                throw csv.FieldError(i, $"expected a value of 1–128 characters, got {FileFormatException.Shown(csv.Field(i))}");
        FundChannel channel = csv.Field(5) switch
        {
            "TREASURY" => FundChannel.TREASURY,
            "GRAIN_FUND" => FundChannel.GRAIN_FUND,
            _ => throw csv.FieldError(5, $"expected TREASURY or GRAIN_FUND, got {FileFormatException.Shown(csv.Field(5))}"),
        };
        Money? cap = null;
        if (columns > 7 && !csv.Field(7).IsEmpty)
        {
            if (!Money.TryParse(csv.Field(7), out var m, out _) || !m.IsPositive)
                throw csv.FieldError(7, $"expected empty or a positive amount with two decimals, got {FileFormatException.Shown(csv.Field(7))}");
            cap = m;
        }
        // Department and subsidy in canonical form: they are what R07 matches and F07 keys on (contract §12).
        var entry = new CatalogueEntry(year, level, CanonicalText.Of(csv.FieldString(2)), CanonicalText.Of(csv.FieldString(3)), CanonicalText.Of(csv.FieldString(4)), channel, csv.FieldString(6), cap);
        return new CatalogueRow(entry, csv.RecordLine);
    }

    /// <summary>Writes the header and every entry (UTF-8 without BOM, CRLF).</summary>
    public static void Write(IEnumerable<CatalogueEntry> entries, Stream stream, bool leaveOpen = false)
    {
        using var w = CsvText.CreateWriter(stream, TextEncodings.Utf8, leaveOpen);
        CsvText.WriteRecord(w, Header);
        foreach (var e in entries)
            CsvText.WriteRecord(w, e.Year.ToString(CultureInfo.InvariantCulture), e.Level, e.DeptName, e.SubsidyCode, e.SubsidyName,
                e.FundChannel.ToString(), e.Frequency, e.LineCap?.ToString() ?? "");
    }
}
