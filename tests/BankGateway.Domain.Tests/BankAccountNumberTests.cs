using BankGateway.Domain.Identity;

namespace BankGateway.Domain.Tests;

public class BankAccountNumberTests
{
    [TestCase("4111111111111111")]     // 16 digits, the published Visa test number
    [TestCase("6222021234567890128")]  // 19 digits
    [TestCase("6228480402564890018")]
    public void Valid_account_is_accepted(string accountNo)
    {
        Assert.That(BankAccountNumber.IsValid(accountNo), Is.True, BankAccountNumber.Explain(accountNo));
    }

    [TestCase("6222021234567890123", "Luhn")]  // often quoted, but its check digit should be 8
    [TestCase("4111111111111112", "Luhn")]
    [TestCase("411111111111111", "16 to 19")]   // 15 digits
    [TestCase("41111111111111111111", "16 to 19")] // 20 digits
    [TestCase("", "16 to 19")]
    [TestCase("6222 0212345678901", "digits only")]
    [TestCase("622202123456789012X", "digits only")]
    public void Invalid_account_is_explained(string accountNo, string reasonContains)
    {
        Assert.That(BankAccountNumber.IsValid(accountNo), Is.False);
        Assert.That(BankAccountNumber.Explain(accountNo), Does.Contain(reasonContains));
    }

    [TestCase("622202123456789012", '8')]
    [TestCase("7992739871", '3')] // the classic Luhn example 79927398713
    [TestCase("411111111111111", '1')]
    public void Luhn_digit_is_computed(string withoutCheck, char expected)
    {
        Assert.That(BankAccountNumber.ComputeLuhnDigit(withoutCheck), Is.EqualTo(expected));
    }

    [Test]
    public void Luhn_digit_of_non_digits_throws()
    {
        Assert.That(() => BankAccountNumber.ComputeLuhnDigit("12a4"), Throws.ArgumentException);
    }
}
