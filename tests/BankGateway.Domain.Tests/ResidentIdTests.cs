using BankGateway.Domain.Identity;

namespace BankGateway.Domain.Tests;

public class ResidentIdTests
{
    [TestCase("11010519491231002X")] // the GB 11643 standard's own example
    [TestCase("11010519491231002x")] // lowercase x accepted (contract §4)
    [TestCase("110101199003074477")]
    [TestCase("522726199001011235")]
    [TestCase("110101200002290018")] // 29 Feb in a leap year
    public void Valid_id_is_accepted(string id)
    {
        Assert.That(ResidentId.IsValid(id), Is.True, ResidentId.Explain(id));
        Assert.That(ResidentId.Explain(id), Is.Null);
    }

    [TestCase("110105194912310021", "check digit")]
    [TestCase("522726199001011234", "check digit")]
    [TestCase("110101199002300000", "birth date")]  // 30 Feb
    [TestCase("110101190002290000", "birth date")]  // 1900 is not a leap year
    [TestCase("110101189912310000", "birth date")]  // before 1900
    [TestCase("110101199013010000", "birth date")]  // month 13
    [TestCase("110101199001000000", "birth date")]  // day 0
    [TestCase("000000199001010000", "region")]
    [TestCase("11010519491231002", "18 characters")]
    [TestCase("11010519491231002XX", "18 characters")]
    [TestCase("", "18 characters")]
    [TestCase("1101051949123100X2", "17 digits")]
    [TestCase("11010519491231002Y", "17 digits")]
    [TestCase("11010519491231002 ", "17 digits")]
    [TestCase("１10105194912310021", "17 digits")] // full-width digit
    public void Invalid_id_is_explained(string id, string reasonContains)
    {
        Assert.That(ResidentId.IsValid(id), Is.False);
        Assert.That(ResidentId.Explain(id), Does.Contain(reasonContains));
    }

    [Test]
    public void Birth_date_after_today_is_refused_only_when_today_is_given()
    {
        // 2030-01-01 with a correct check character
        string first17 = "11010120300101001";
        string id = first17 + ResidentId.ComputeCheckChar(first17);
        Assert.That(ResidentId.IsValid(id), Is.True);
        Assert.That(ResidentId.IsValid(id, new DateOnly(2029, 12, 31)), Is.False);
        Assert.That(ResidentId.IsValid(id, new DateOnly(2030, 1, 1)), Is.True);
    }

    [TestCase("11010519491231002", 'X')]
    [TestCase("11010119900307447", '7')]
    [TestCase("52272619900101123", '5')]
    public void Check_char_is_iso_7064_mod_11_2(string first17, char expected)
    {
        Assert.That(ResidentId.ComputeCheckChar(first17), Is.EqualTo(expected));
    }

    [TestCase("1101051949123100")]
    [TestCase("1101051949123100A")]
    public void Check_char_of_malformed_input_throws(string first17)
    {
        Assert.That(() => ResidentId.ComputeCheckChar(first17), Throws.ArgumentException);
    }

    [Test]
    public void Same_id_ignores_the_case_of_x_only()
    {
        Assert.That(ResidentId.SameId("11010519491231002x", "11010519491231002X"), Is.True);
        Assert.That(ResidentId.SameId("110101199003074477", "110101199003074477"), Is.True);
        Assert.That(ResidentId.SameId("110101199003074477", "110101199003074478"), Is.False);
        Assert.That(ResidentId.SameId("110101199003074477", "11010119900307447"), Is.False);
    }
}
