using BankGateway.Worker.Hosting;
using BankGateway.Worker.Hosting.Service;
using BankGateway.Worker.Returns;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Service;

/// <summary>Deadline alarms on the sample day 2024-09-30: vouchers due by the second working day, returns on their due date.</summary>
[TestFixture]
[NonParallelizable]
public sealed class DeadlineWatchTests
{
    [Test]
    public async Task Open_voucher_is_at_risk_from_its_second_working_day_and_an_unexecuted_return_is_overdue_after_its_due_date()
    {
        var (gateway, _) = await ReturnsJobTests.SampleDayAsync("deadline_watch");
        await using var _g = gateway;
        // An operator holds one voucher; it stays open. Its receipt day is 2024-09-30 (China time).
        await gateway.ScalarAsync<long>("""
            update vouchers set status = 'HELD', received_at = '2024-09-30T10:00:00+08:00'
            from (select set_config('bankgateway.override', 'test: an open voucher', true)) o
            where voucher_no = 'ZF2024000125' returning id
            """);
        var watch = new DeadlineWatch(gateway.Db, gateway.Get<CalendarStore>(), gateway.Get<GatewayClock>());

        ReturnsJobTests.SetChinaTime(gateway, 10, 8, 12, 0); // first working day after National Day
        var first = await watch.MeasureAsync(CancellationToken.None);
        Assert.That(first.VouchersAtRisk, Is.Empty, "10-08 is only the first working day after receipt");
        Assert.That(first.ReturnsDue, Is.EqualTo(2));
        Assert.That(first.OverdueReturns, Is.Empty, "due today is not overdue");
        Assert.That(first.OldestUnprocessedSeconds, Is.GreaterThan(7 * 86_400));

        ReturnsJobTests.SetChinaTime(gateway, 10, 9, 8, 0);
        var second = await watch.MeasureAsync(CancellationToken.None);
        Assert.That(second.VouchersAtRisk.Select(v => (v.VoucherNo, v.Deadline)), Is.EqualTo(new[] { ("ZF2024000125", new DateOnly(2024, 10, 9)) }));
        Assert.That(second.OverdueReturns.Select(r => r.DueDate), Is.All.EqualTo(new DateOnly(2024, 10, 8)));
        Assert.That(second.OverdueReturns, Has.Count.EqualTo(2));
    }
}
