using BankGateway.Domain;
using BankGateway.Domain.Codes;
using BankGateway.Domain.Validation;
using BankGateway.Domain.Vouchers;
using static BankGateway.Domain.Tests.Samples;

namespace BankGateway.Domain.Tests;

public class LineFieldChecksTests
{
    private static LineCheck Check(IssuanceLine line) => LineFieldChecks.Check(line, PaymentVoucher, Entry);

    [Test]
    public void Sample_line_passes_every_field_check()
    {
        var result = Check(Line);
        Assert.That(result.Code, Is.EqualTo(FailureCode.None), result.Detail);
        Assert.That(result.IsOk, Is.True);
        Assert.That(result.Amount, Is.EqualTo(Money.Parse("350.00")));
        Assert.That(result.PhoneWarning, Is.False);
    }

    // ---- F01 必填项缺失

    private static IEnumerable<TestCaseData> EachRequiredField()
    {
        yield return new TestCaseData(Line with { SeqNo = "" }, "序号").SetName("Line_without_序号_fails_with_F01");
        yield return new TestCaseData(Line with { Name = "" }, "姓名").SetName("Line_without_姓名_fails_with_F01");
        yield return new TestCaseData(Line with { IdNumber = "" }, "证件号码").SetName("Line_without_证件号码_fails_with_F01");
        yield return new TestCaseData(Line with { AccountNo = "" }, "银行账号").SetName("Line_without_银行账号_fails_with_F01");
        yield return new TestCaseData(Line with { DeptName = "" }, "主管部门").SetName("Line_without_主管部门_fails_with_F01");
        yield return new TestCaseData(Line with { SubsidyName = "" }, "补贴名称").SetName("Line_without_补贴名称_fails_with_F01");
        yield return new TestCaseData(Line with { Amount = "" }, "金额").SetName("Line_without_金额_fails_with_F01");
        yield return new TestCaseData(Line with { Period = "" }, "发放周期").SetName("Line_without_发放周期_fails_with_F01");
        yield return new TestCaseData(Line with { Name = " \t " }, "姓名").SetName("Line_with_whitespace_only_姓名_fails_with_F01");
    }

    [TestCaseSource(nameof(EachRequiredField))]
    public void Line_with_empty_required_field_fails_with_F01(IssuanceLine line, string field)
    {
        var result = Check(line);
        Assert.That(result.Code, Is.EqualTo(FailureCode.F01));
        Assert.That(result.Detail, Does.StartWith(field));
    }

    [Test]
    public void Line_with_only_optional_fields_empty_passes_F01()
    {
        var line = Line with { Phone = "", OrigVoucherNo = "", OrigSeqNo = "", Remark = " " };
        Assert.That(Check(line).Code, Is.EqualTo(FailureCode.None));
    }

    [Test]
    public void Empty_field_wins_over_every_later_check()
    {
        var line = Line with { Name = "", IdNumber = "123", AccountNo = "1", Amount = "-1", DeptName = "别的局" };
        Assert.That(Check(line).Code, Is.EqualTo(FailureCode.F01));
    }

    // ---- F02 证件号码校验错误

    [Test]
    public void Id_with_wrong_check_digit_fails_with_F02()
    {
        var result = Check(Line with { IdNumber = "110105194912310021" });
        Assert.That(result.Code, Is.EqualTo(FailureCode.F02));
        Assert.That(result.Detail, Does.Contain("证件号码"));
    }

    [Test]
    public void Id_with_february_30_birth_date_fails_with_F02()
    {
        Assert.That(Check(Line with { IdNumber = "110101199002300000" }).Code, Is.EqualTo(FailureCode.F02));
    }

    [Test]
    public void Id_with_lowercase_x_check_char_passes_F02()
    {
        Assert.That(Check(Line with { IdNumber = "11010519491231002x" }).Code, Is.EqualTo(FailureCode.None));
    }

    [Test]
    public void Id_with_surrounding_space_fails_with_F02()
    {
        Assert.That(Check(Line with { IdNumber = " " + ValidId }).Code, Is.EqualTo(FailureCode.F02));
    }

    [Test]
    public void Bad_id_wins_over_bad_account_and_amount_but_amount_is_still_parsed()
    {
        var result = Check(Line with { IdNumber = "110105194912310021", AccountNo = "123", Amount = "99999.00" });
        Assert.That(result.Code, Is.EqualTo(FailureCode.F02));
        Assert.That(result.Amount, Is.EqualTo(Money.Parse("99999.00")), "R03 sums every line");
    }

    // ---- F03 银行账号格式错误

    [TestCase("411111111111111")]      // 15 digits
    [TestCase("41111111111111111111")] // 20 digits
    [TestCase("6222021234567890123")]  // Luhn fails
    [TestCase("6222-021234567890128")]
    public void Account_not_16_to_19_luhn_digits_fails_with_F03(string accountNo)
    {
        var result = Check(Line with { AccountNo = accountNo });
        Assert.That(result.Code, Is.EqualTo(FailureCode.F03));
        Assert.That(result.Detail, Does.Contain("银行账号"));
    }

    [TestCase("4111111111111111")]    // 16 digits
    [TestCase("6222021234567890128")] // 19 digits
    public void Account_of_16_or_19_luhn_digits_passes_F03(string accountNo)
    {
        Assert.That(Check(Line with { AccountNo = accountNo }).Code, Is.EqualTo(FailureCode.None));
    }

    // ---- F04 金额无效

    [Test]
    public void Amount_with_one_decimal_fails_with_F04()
    {
        var result = Check(Line with { Amount = "350.0" });
        Assert.That(result.Code, Is.EqualTo(FailureCode.F04));
        Assert.That(result.Amount, Is.Null);
        Assert.That(result.Detail, Does.Contain("two decimals"));
    }

    [TestCase("350")]
    [TestCase("350.000")]
    [TestCase("-350.00")]
    [TestCase("3,50.00")]
    public void Malformed_amount_fails_with_F04(string amount)
    {
        Assert.That(Check(Line with { Amount = amount }).Code, Is.EqualTo(FailureCode.F04));
    }

    [Test]
    public void Zero_amount_fails_with_F04()
    {
        var result = Check(Line with { Amount = "0.00" });
        Assert.That(result.Code, Is.EqualTo(FailureCode.F04));
        Assert.That(result.Detail, Does.Contain("not positive"));
    }

    [Test]
    public void Smallest_positive_amount_passes_F04()
    {
        Assert.That(Check(Line with { Amount = "0.01" }).Code, Is.EqualTo(FailureCode.None));
    }

    [Test]
    public void Amount_one_fen_above_line_cap_fails_with_F04()
    {
        var result = Check(Line with { Amount = "1000.01" });
        Assert.That(result.Code, Is.EqualTo(FailureCode.F04));
        Assert.That(result.Detail, Does.Contain("cap"));
        Assert.That(result.Amount, Is.EqualTo(Money.Parse("1000.01")));
    }

    [Test]
    public void Amount_equal_to_line_cap_passes_F04()
    {
        Assert.That(Check(Line with { Amount = "1000.00" }).Code, Is.EqualTo(FailureCode.None));
    }

    [Test]
    public void Amount_of_uncapped_subsidy_is_not_capped()
    {
        var uncapped = Entry with { LineCap = null };
        var result = LineFieldChecks.Check(Line with { Amount = "99999999.99" }, PaymentVoucher, uncapped);
        Assert.That(result.Code, Is.EqualTo(FailureCode.None));
    }

    // ---- F05 三要素不符

    private static IEnumerable<TestCaseData> EachElementDiffering()
    {
        yield return new TestCaseData(Line with { DeptName = "独山县财政局" }, "主管部门").SetName("Line_with_other_主管部门_fails_with_F05");
        yield return new TestCaseData(Line with { SubsidyName = "耕地地力保护补贴" }, "补贴名称").SetName("Line_with_other_补贴名称_fails_with_F05");
        yield return new TestCaseData(Line with { Period = "2024-04" }, "发放周期").SetName("Line_with_other_发放周期_fails_with_F05");
    }

    [TestCaseSource(nameof(EachElementDiffering))]
    public void Line_whose_element_differs_from_voucher_fails_with_F05(IssuanceLine line, string field)
    {
        var result = Check(line);
        Assert.That(result.Code, Is.EqualTo(FailureCode.F05));
        Assert.That(result.Detail, Does.StartWith(field));
    }

    [Test]
    public void Line_whose_elements_match_voucher_apart_from_surrounding_spaces_passes_F05()
    {
        var line = Line with { DeptName = " 独山县民政局", SubsidyName = "城乡居民最低生活保障金 ", Period = "2024-03\t" };
        Assert.That(Check(line).Code, Is.EqualTo(FailureCode.None));
    }

    [Test]
    public void Bad_amount_wins_over_differing_elements()
    {
        Assert.That(Check(Line with { Amount = "0.00", Period = "2024-04" }).Code, Is.EqualTo(FailureCode.F04));
    }

    // ---- 手机号码: informational only

    [Test]
    public void Malformed_phone_warns_but_does_not_fail_the_line()
    {
        var result = Check(Line with { Phone = "2381234567" });
        Assert.That(result.Code, Is.EqualTo(FailureCode.None));
        Assert.That(result.PhoneWarning, Is.True);
    }

    [Test]
    public void Absent_phone_does_not_warn()
    {
        Assert.That(Check(Line with { Phone = "" }).PhoneWarning, Is.False);
    }
}
