using BankGateway.Domain;
using BankGateway.Domain.Codes;
using BankGateway.Domain.Validation;
using static BankGateway.Domain.Tests.Samples;

namespace BankGateway.Domain.Tests;

public class VoucherTotalsTests
{
    private static readonly Money PayAmt = Money.Parse("875000.00");

    [Test]
    public void Matching_count_and_sum_pass_R03()
    {
        Assert.That(VoucherTotals.Check(2500, PayAmt, PaymentVoucher), Is.EqualTo(RejectCode.None));
        Assert.That(VoucherTotals.Explain(2500, PayAmt, PaymentVoucher), Is.Null);
    }

    [Test]
    public void One_line_missing_rejects_with_R03()
    {
        Assert.That(VoucherTotals.Check(2499, PayAmt, PaymentVoucher), Is.EqualTo(RejectCode.R03));
        Assert.That(VoucherTotals.Explain(2499, PayAmt, PaymentVoucher), Does.Contain("2499").And.Contain("2500"));
    }

    [Test]
    public void Sum_one_fen_off_rejects_with_R03()
    {
        var sum = PayAmt + new Money(1);
        Assert.That(VoucherTotals.Check(2500, sum, PaymentVoucher), Is.EqualTo(RejectCode.R03));
        Assert.That(VoucherTotals.Explain(2500, sum, PaymentVoucher), Does.Contain("875000.01"));
    }
}
