using System.Text;
using BankGateway.Files.Formats;
using NUnit.Framework;

namespace BankGateway.Files.Tests.Formats;

/// <summary>Contract §9: 余额 and 单笔上限 are optional, as empty cells or as columns left out.</summary>
public sealed class OptionalColumnTests
{
    private static MemoryStream Text(string s) => new(new UTF8Encoding(false).GetBytes(s));

    [Test]
    public void Account_master_without_the_balance_column_reads_with_no_balances()
    {
        var rows = AccountMasterCsv.Read(Text("账号,户名,证件号码,账户状态\r\n6217995200000000015,张三,522726198001010019,正常\r\n"), "a.csv").ToList();
        Assert.That(rows.Single().Balance, Is.Null);
    }

    [Test]
    public void Account_master_row_with_a_balance_cell_under_a_four_column_header_is_refused_naming_the_line()
    {
        var error = Assert.Throws<FileFormatException>(() => AccountMasterCsv.Read(
            Text("账号,户名,证件号码,账户状态\r\n6217995200000000015,张三,522726198001010019,正常,1.00\r\n"), "a.csv").ToList());
        Assert.That(error!.Line, Is.EqualTo(2));
    }

    [Test]
    public void Catalogue_without_the_cap_column_reads_with_no_cap()
    {
        var rows = CatalogueCsv.Read(Text("年度,层级,主管部门,补贴编码,补贴名称,资金渠道,发放频次\r\n2024,县级,独山县民政局,MZ001,城乡居民最低生活保障金,TREASURY,按月\r\n"), "c.csv").ToList();
        Assert.That(rows.Single().Entry.LineCap, Is.Null);
    }

    [Test]
    public void Header_missing_a_required_column_is_refused()
    {
        Assert.Throws<FileFormatException>(() => AccountMasterCsv.Read(Text("账号,户名,证件号码\r\n"), "a.csv").ToList());
    }
}
