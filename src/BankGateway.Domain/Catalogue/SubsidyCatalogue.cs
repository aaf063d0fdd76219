namespace BankGateway.Domain.Catalogue;

/// <summary>
/// The subsidy catalogue for one or more years, looked up by year + 主管部门 + 补贴名称 (R07).
/// Names match exactly (ordinal) after trimming surrounding whitespace, because the catalogue
/// is the published wording and a near-miss name is a different subsidy.
/// </summary>
public sealed class SubsidyCatalogue
{
    private readonly Dictionary<(int Year, string Dept, string Subsidy), CatalogueEntry> _byKey = [];

    /// <summary>Builds the catalogue.</summary>
    /// <exception cref="ArgumentException">Two entries share year, department and subsidy name: a lookup would be ambiguous.</exception>
    public SubsidyCatalogue(IEnumerable<CatalogueEntry> entries)
    {
        var list = new List<CatalogueEntry>();
        foreach (var e in entries)
        {
            var key = (e.Year, e.DeptName.Trim(), e.SubsidyName.Trim());
            if (!_byKey.TryAdd(key, e))
                throw new ArgumentException(
                    $"catalogue lists {e.Year} {key.Item2} / {key.Item3} twice", nameof(entries));
            list.Add(e);
        }
        Entries = list;
    }

    /// <summary>Every entry, in the order given.</summary>
    public IReadOnlyList<CatalogueEntry> Entries { get; }

    /// <summary>The entry for <paramref name="year"/>, <paramref name="deptName"/> and <paramref name="subsidyName"/>, or null (→ R07).</summary>
    public CatalogueEntry? Find(int year, string deptName, string subsidyName) =>
        deptName is null || subsidyName is null ? null
            : _byKey.GetValueOrDefault((year, deptName.Trim(), subsidyName.Trim()));
}
