using System.Text.Json;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Deploy;

/// <summary>
/// The runtime settings the worker ships with (its runtimeconfig.json, built from the project file): D63's "no tiered
/// compilation" is a third of a peak day's node CPU, and nothing else would notice it gone.
/// </summary>
[TestFixture]
public sealed class WorkerRuntimeSettingsTests
{
    [Test]
    public void The_worker_runs_without_tiered_compilation_and_with_its_thread_pool_floor()
    {
        string worker = typeof(BankGateway.Worker.Intake.IntakeStage).Assembly.Location;
        string config = Path.ChangeExtension(worker, ".runtimeconfig.json");
        Assert.That(File.Exists(config), Is.True, config);
        using var json = JsonDocument.Parse(File.ReadAllText(config));
        var properties = json.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");
        Assert.That(properties.GetProperty("System.Runtime.TieredCompilation").GetBoolean(), Is.False);
        Assert.That(properties.GetProperty("System.Threading.ThreadPool.MinThreads").GetInt32(), Is.EqualTo(32));
    }
}
