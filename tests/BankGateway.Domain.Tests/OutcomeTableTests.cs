using BankGateway.Domain.Codes;

namespace BankGateway.Domain.Tests;

public class OutcomeTableTests
{
    [Test]
    public void Table_has_15_failures_in_code_order()
    {
        var expected = Enumerable.Range(1, 15).Select(i => $"F{i:00}");
        Assert.That(OutcomeTable.Failures.Select(e => e.Code), Is.EqualTo(expected));
    }

    [Test]
    public void Table_has_7_rejections_in_code_order()
    {
        var expected = Enumerable.Range(1, 7).Select(i => $"R{i:00}");
        Assert.That(OutcomeTable.Rejections.Select(e => e.Code), Is.EqualTo(expected));
    }

    [Test]
    public void Every_code_has_a_reason_and_enum_values_line_up_with_the_table()
    {
        foreach (var code in Enum.GetValues<FailureCode>().Where(c => c != FailureCode.None))
            Assert.That(OutcomeTable.Failures[(int)code - 1].Code, Is.EqualTo(code.ToString()));
        foreach (var code in Enum.GetValues<RejectCode>().Where(c => c != RejectCode.None))
            Assert.That(OutcomeTable.Rejections[(int)code - 1].Code, Is.EqualTo(code.ToString()));
        Assert.That(OutcomeTable.Failures.Concat(OutcomeTable.Rejections).Select(e => e.Reason), Has.None.Empty);
    }

    [Test]
    public void Reasons_are_the_contract_wording()
    {
        Assert.That(OutcomeTable.Reason(FailureCode.F11), Is.EqualTo("账户已销户"));
        Assert.That(OutcomeTable.Reason(FailureCode.F14), Is.EqualTo("社保卡金融功能未激活"));
        Assert.That(OutcomeTable.Reason(RejectCode.R07), Is.EqualTo("补贴项目不在目录"));
        Assert.That(OutcomeTable.Reason(FailureCode.None), Is.Empty);
    }
}
