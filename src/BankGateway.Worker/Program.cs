using BankGateway.Worker.Cli;
using BankGateway.Worker.Hosting;

// The command line of the interface contract §10; with no command, the long-running service.
var root = GatewayCommands.Build(ServiceHost.RunAsync);
var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors) Console.Error.WriteLine($"usage error: {error.Message}");
    Console.Error.WriteLine("Run with --help for usage.");
    return ExitCodes.Usage;
}
// The service handles SIGTERM itself (Quartz waits for running jobs, exit code 0); commands keep Ctrl+C cancelling them.
var invocation = new System.CommandLine.InvocationConfiguration();
if (parsed.CommandResult.Command == root) invocation.ProcessTerminationTimeout = null;
return await parsed.InvokeAsync(invocation);
