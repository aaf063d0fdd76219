using System.Text;
using BankGateway.Domain;
using BankGateway.Domain.Catalogue;
using BankGateway.Domain.Vouchers;
using BankGateway.Files.Formats;
using NUnit.Framework;

namespace BankGateway.Files.Tests.Formats;

public class BankInputCsvTests
{
    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    [Test]
    public void Account_master_round_trips_every_status()
    {
        var rows = Enum.GetValues<AccountStatus>()
            .Select((s, i) => new AccountMasterRow($"621700123456789012{i}", "张三" + i, "52272619800101001X", s, i % 2 == 0 ? Money.Parse($"{i}.50") : null, i + 2))
            .ToList();
        using var ms = new MemoryStream();
        AccountMasterCsv.Write(rows, ms, leaveOpen: true);
        ms.Position = 0;
        Assert.That(AccountMasterCsv.Read(ms, "accounts.csv").ToList(), Is.EqualTo(rows));
    }

    [Test]
    public void Account_master_status_texts_are_the_contract_words()
    {
        var text = "\uFEFF账号,户名,证件号码,账户状态,余额\r\n1,甲,x,正常,\r\n2,乙,y,销户,\r\n3,丙,z,冻结,\r\n4,丁,w,久悬,\r\n5,戊,v,未激活,\r\n6,己,u,挂失,0.00\r\n";
        var rows = AccountMasterCsv.Read(new MemoryStream(Utf8(text)), "accounts.csv").ToList();
        Assert.That(rows.Select(r => r.Status), Is.EqualTo(new[] { AccountStatus.Normal, AccountStatus.Closed, AccountStatus.Frozen, AccountStatus.Dormant, AccountStatus.Inactive, AccountStatus.Lost }));
        Assert.That(rows[^1].Balance, Is.EqualTo(Money.Zero));
        Assert.That(rows[0].Balance, Is.Null);
    }

    [TestCase("1,甲,x,注销,", 4, "账户状态")]
    [TestCase("1,甲,x,正常,12.5", 5, "余额")]
    [TestCase("12a,甲,x,正常,", 1, "账号")]
    [TestCase("1,,x,正常,", 2, "户名")]
    public void Bad_account_row_names_line_and_field(string row, int column, string field)
    {
        var text = "账号,户名,证件号码,账户状态,余额\r\n1,甲,x,正常,\r\n" + row + "\r\n";
        var ex = Assert.Throws<FileFormatException>(() => AccountMasterCsv.Read(new MemoryStream(Utf8(text)), "accounts.csv").ToList())!;
        Assert.That(ex.Message, Does.StartWith($"accounts.csv line 3, column {column} ({field}): expected"));
    }

    [Test]
    public void Account_master_streams_a_million_rows()
    {
        var path = Path.GetTempFileName();
        try
        {
            var rows = Enumerable.Range(0, 1_000_000).Select(i => new AccountMasterRow((6217001000000000000L + i).ToString(), "张三", "52272619800101001X", AccountStatus.Normal, Money.Parse("100.00"), 0));
            using (var fs = File.Create(path)) AccountMasterCsv.Write(rows, fs);
            long count = 0;
            using (var fs = File.OpenRead(path))
                foreach (var r in AccountMasterCsv.Read(fs, "accounts.csv")) count++;
            Assert.That(count, Is.EqualTo(1_000_000));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Catalogue_round_trips()
    {
        var entries = new[]
        {
            new CatalogueEntry(2024, "县级", "独山县民政局", "MZ001", "城乡居民最低生活保障金", FundChannel.TREASURY, "按月", Money.Parse("2000.00")),
            new CatalogueEntry(2024, "中央", "独山县农业农村局", "NY001", "耕地地力保护补贴", FundChannel.GRAIN_FUND, "按年", null),
        };
        using var ms = new MemoryStream();
        CatalogueCsv.Write(entries, ms, leaveOpen: true);
        ms.Position = 0;
        var rows = CatalogueCsv.Read(ms, "catalogue.csv").ToList();
        Assert.That(rows.Select(r => r.Entry), Is.EqualTo(entries));
        Assert.That(rows.Select(r => r.FileLine), Is.EqualTo(new long[] { 2, 3 }));
    }

    [TestCase("2024,市级,a,b,c,TREASURY,按月,", 2, "层级")]
    [TestCase("24,县级,a,b,c,TREASURY,按月,", 1, "年度")]
    [TestCase("2024,县级,a,b,c,BANK,按月,", 6, "资金渠道")]
    [TestCase("2024,县级,a,b,c,TREASURY,按月,0.00", 8, "单笔上限")]
    [TestCase("2024,县级,,b,c,TREASURY,按月,", 3, "主管部门")]
    public void Bad_catalogue_row_names_line_and_field(string row, int column, string field)
    {
        var text = string.Join(",", CatalogueCsv.Header) + "\r\n" + row + "\r\n";
        var ex = Assert.Throws<FileFormatException>(() => CatalogueCsv.Read(new MemoryStream(Utf8(text)), "catalogue.csv").ToList())!;
        Assert.That(ex.Message, Does.StartWith($"catalogue.csv line 2, column {column} ({field}): expected"));
    }

    [Test]
    public void Catalogue_with_wrong_header_is_refused()
    {
        var ex = Assert.Throws<FileFormatException>(() => CatalogueCsv.Read(new MemoryStream(Utf8("年份,层级\r\n")), "catalogue.csv").ToList())!;
        Assert.That(ex.Line, Is.EqualTo(1));
    }
}
