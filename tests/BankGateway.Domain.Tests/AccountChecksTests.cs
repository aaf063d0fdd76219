using BankGateway.Domain.Codes;
using BankGateway.Domain.Validation;
using BankGateway.Domain.Vouchers;
using static BankGateway.Domain.Tests.Samples;

namespace BankGateway.Domain.Tests;

public class AccountChecksTests
{
    private static readonly AccountHolder Holder = new(ValidAccount, "张三", ValidId, AccountStatus.Normal);

    [Test]
    public void Line_matching_a_normal_account_passes()
    {
        Assert.That(AccountChecks.Check("张三", ValidId, Holder), Is.EqualTo(FailureCode.None));
    }

    [Test]
    public void Line_with_unknown_account_fails_with_F08()
    {
        Assert.That(AccountChecks.Check("张三", ValidId, null), Is.EqualTo(FailureCode.F08));
    }

    [Test]
    public void Line_with_other_holder_name_fails_with_F09()
    {
        Assert.That(AccountChecks.Check("张四", ValidId, Holder), Is.EqualTo(FailureCode.F09));
    }

    [Test]
    public void Line_with_holder_name_differing_only_by_surrounding_spaces_passes_F09()
    {
        Assert.That(AccountChecks.Check(" 张三 ", ValidId, Holder), Is.EqualTo(FailureCode.None));
    }

    [Test]
    public void Line_with_other_holder_id_fails_with_F10()
    {
        Assert.That(AccountChecks.Check("张三", "110101199003074477", Holder), Is.EqualTo(FailureCode.F10));
    }

    [Test]
    public void Line_with_holder_id_differing_only_in_case_of_x_passes_F10()
    {
        Assert.That(AccountChecks.Check("张三", "11010519491231002x", Holder), Is.EqualTo(FailureCode.None));
    }

    [TestCase(AccountStatus.Closed, FailureCode.F11, TestName = "Line_with_closed_account_fails_with_F11")]
    [TestCase(AccountStatus.Frozen, FailureCode.F12, TestName = "Line_with_frozen_account_fails_with_F12")]
    [TestCase(AccountStatus.Dormant, FailureCode.F13, TestName = "Line_with_dormant_account_fails_with_F13")]
    [TestCase(AccountStatus.Inactive, FailureCode.F14, TestName = "Line_with_inactive_card_fails_with_F14")]
    [TestCase(AccountStatus.Lost, FailureCode.F15, TestName = "Line_with_lost_card_fails_with_F15")]
    public void Line_with_account_in_bad_status_fails(AccountStatus status, FailureCode expected)
    {
        Assert.That(AccountChecks.Check("张三", ValidId, Holder with { Status = status }), Is.EqualTo(expected));
    }

    [Test]
    public void Identity_mismatch_wins_over_bad_status()
    {
        var closed = Holder with { Status = AccountStatus.Closed };
        Assert.That(AccountChecks.Check("李四", ValidId, closed), Is.EqualTo(FailureCode.F09));
        Assert.That(AccountChecks.Check("张三", "110101199003074477", closed), Is.EqualTo(FailureCode.F10));
    }

    [Test]
    public void Unknown_status_never_passes()
    {
        Assert.That(() => AccountChecks.Check("张三", ValidId, Holder with { Status = (AccountStatus)99 }),
            Throws.TypeOf<ArgumentOutOfRangeException>());
    }
}
