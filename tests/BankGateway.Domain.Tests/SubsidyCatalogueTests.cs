using BankGateway.Domain.Catalogue;
using static BankGateway.Domain.Tests.Samples;

namespace BankGateway.Domain.Tests;

public class SubsidyCatalogueTests
{
    private static readonly CatalogueEntry Grain = Entry with
    {
        DeptName = "独山县农业农村局", SubsidyCode = "NY001", SubsidyName = "耕地地力保护补贴",
        FundChannel = Vouchers.FundChannel.GRAIN_FUND, LineCap = null,
    };

    private static readonly SubsidyCatalogue Catalogue = new([Entry, Grain]);

    [Test]
    public void Listed_subsidy_is_found_for_its_year()
    {
        Assert.That(Catalogue.Find(2024, "独山县民政局", "城乡居民最低生活保障金"), Is.SameAs(Entry));
        Assert.That(Catalogue.Find(2024, "独山县农业农村局", "耕地地力保护补贴"), Is.SameAs(Grain));
    }

    [Test]
    public void Lookup_trims_surrounding_spaces()
    {
        Assert.That(Catalogue.Find(2024, " 独山县民政局 ", "城乡居民最低生活保障金\t"), Is.SameAs(Entry));
    }

    [Test]
    public void Subsidy_of_another_year_is_not_in_the_catalogue_R07()
    {
        Assert.That(Catalogue.Find(2025, "独山县民政局", "城乡居民最低生活保障金"), Is.Null);
    }

    [Test]
    public void Subsidy_under_another_department_is_not_in_the_catalogue_R07()
    {
        Assert.That(Catalogue.Find(2024, "独山县农业农村局", "城乡居民最低生活保障金"), Is.Null);
    }

    [Test]
    public void Near_miss_name_is_not_in_the_catalogue_R07()
    {
        Assert.That(Catalogue.Find(2024, "独山县民政局", "城乡居民最低生活保障"), Is.Null);
    }

    [Test]
    public void Duplicate_entry_is_refused()
    {
        Assert.That(() => new SubsidyCatalogue([Entry, Entry with { SubsidyCode = "MZ002" }]), Throws.ArgumentException);
    }

    [Test]
    public void Entries_keep_their_order()
    {
        Assert.That(Catalogue.Entries, Is.EqualTo(new[] { Entry, Grain }));
    }
}
