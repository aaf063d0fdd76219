using BankGateway.Pipeline.Tests.Pipeline;
using BankGateway.Worker.Hosting.Service;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Service;

/// <summary>A bureau that keeps failing is paused, and an operator's "retry now" ends the pause.</summary>
public sealed class ChannelCircuitTests
{
    [Test]
    public void Three_failed_polls_pause_the_channel_and_retry_now_ends_the_pause()
    {
        var clock = new ManualClock(new DateTimeOffset(2024, 9, 30, 2, 0, 0, TimeSpan.Zero));
        var circuits = new ChannelCircuits(clock);
        circuits.Failed("522726");
        circuits.Failed("522726");
        Assert.That(circuits.StateOf("522726"), Is.Zero, "two failures keep polling");
        circuits.Failed("522726");
        Assert.That((circuits.StateOf("522726"), circuits.ShouldSkip("522726")), Is.EqualTo((1, true)), "the third opens the circuit");
        Assert.That(circuits.ShouldSkip("520000"), Is.False, "other bureaus are not slowed");

        circuits.HalfOpen("522726");
        Assert.That((circuits.StateOf("522726"), circuits.ShouldSkip("522726")), Is.EqualTo((2, false)), "retry now: the next poll tries");
        circuits.Succeeded("522726");
        Assert.That(circuits.StateOf("522726"), Is.Zero);
    }
}
