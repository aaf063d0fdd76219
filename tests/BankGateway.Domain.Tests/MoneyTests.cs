using BankGateway.Domain;

namespace BankGateway.Domain.Tests;

public class MoneyTests
{
    [TestCase("350.00", 35000L)]
    [TestCase("0.01", 1L)]
    [TestCase("1234567.89", 123456789L)]
    public void Amount_parses_to_fen_and_formats_back(string text, long fen)
    {
        Assert.That(Money.TryParse(text, out var money, out var error), Is.True, error);
        Assert.That(money.Fen, Is.EqualTo(fen));
        Assert.That(money.ToString(), Is.EqualTo(text));
    }

    [Test]
    public void Zero_amount_parses_because_positivity_is_F04s_job()
    {
        Assert.That(Money.TryParse("0.00", out var money, out _), Is.True);
        Assert.That(money, Is.EqualTo(Money.Zero));
        Assert.That(money.IsPositive, Is.False);
    }

    [TestCase("350")]
    [TestCase("350.0")]
    [TestCase("350.000")]
    [TestCase("-1.00")]
    [TestCase("+1.00")]
    [TestCase("1,000.00")]
    [TestCase(" 1.00")]
    [TestCase("1.00 ")]
    [TestCase("01.00")]
    [TestCase("1e3")]
    [TestCase(".50")]
    [TestCase("1.0a")]
    [TestCase("")]
    public void Malformed_amount_is_rejected_with_a_reason(string text)
    {
        Assert.That(Money.TryParse(text, out _, out var error), Is.False);
        Assert.That(error, Is.Not.Null.And.Not.Empty);
    }

    [Test]
    public void Amount_is_displayed_with_thousands_separators()
    {
        Assert.That(Money.Parse("1234567.89").ToDisplayString(), Is.EqualTo("1,234,567.89"));
        Assert.That(Money.Parse("0.05").ToDisplayString(), Is.EqualTo("0.05"));
    }

    [Test]
    public void Amounts_add_in_fen()
    {
        Assert.That(Money.Parse("0.10") + Money.Parse("0.20"), Is.EqualTo(Money.Parse("0.30")));
    }
}
