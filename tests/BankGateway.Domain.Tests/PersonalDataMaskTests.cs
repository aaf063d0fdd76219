using BankGateway.Domain.Identity;

namespace BankGateway.Domain.Tests;

public class PersonalDataMaskTests
{
    [TestCase("张三", "张*")]
    [TestCase("张三丰", "张**")]
    [TestCase("欧阳娜娜", "欧***")]
    [TestCase("张", "*")]
    [TestCase("𠀀三", "𠀀*")] // a surname outside the BMP is one character
    [TestCase("", "")]
    [TestCase(null, "")]
    public void Name_keeps_only_the_first_character(string? name, string expected)
    {
        Assert.That(PersonalDataMask.Name(name), Is.EqualTo(expected));
    }

    [TestCase("522726199001011235", "522***********1235")]
    [TestCase("11010519491231002X", "110***********002X")]
    [TestCase("1234567", "*******")]
    [TestCase("", "")]
    [TestCase(null, "")]
    public void Id_number_keeps_first_3_and_last_4(string? id, string expected)
    {
        Assert.That(PersonalDataMask.IdNumber(id), Is.EqualTo(expected));
    }

    [TestCase("6222021234567890128", "6222***********0128")]
    [TestCase("4111111111111111", "4111********1111")]
    [TestCase("12345678", "********")]
    [TestCase("1", "*")]
    [TestCase(null, "")]
    public void Account_keeps_first_4_and_last_4(string? accountNo, string expected)
    {
        Assert.That(PersonalDataMask.AccountNo(accountNo), Is.EqualTo(expected));
    }

    [TestCase("13812345678", "138****5678")]
    [TestCase("138", "***")]
    [TestCase("", "")]
    [TestCase(null, "")]
    public void Phone_keeps_first_3_and_last_4(string? phone, string expected)
    {
        Assert.That(PersonalDataMask.Phone(phone), Is.EqualTo(expected));
    }
}
