using BankGateway.Domain.Identity;

namespace BankGateway.Domain.Tests;

public class PhoneNumberTests
{
    [TestCase("13812345678")]
    [TestCase("19912345678")]
    [TestCase("")]    // optional
    [TestCase("   ")] // whitespace-only counts as absent
    public void Absent_or_well_formed_phone_is_valid(string phone)
    {
        Assert.That(PhoneNumber.IsValid(phone), Is.True);
        Assert.That(PhoneNumber.Explain(phone), Is.Null);
    }

    [TestCase("23812345678")]  // must start with 1
    [TestCase("1381234567")]   // 10 digits
    [TestCase("138123456789")] // 12 digits
    [TestCase("1381234567a")]
    [TestCase("138-1234-5678")]
    public void Malformed_phone_is_invalid(string phone)
    {
        Assert.That(PhoneNumber.IsValid(phone), Is.False);
        Assert.That(PhoneNumber.Explain(phone), Does.Contain("11 digits"));
    }

    [Test]
    public void Well_formed_requires_presence()
    {
        Assert.That(PhoneNumber.IsWellFormed(""), Is.False);
        Assert.That(PhoneNumber.IsWellFormed("13812345678"), Is.True);
    }
}
