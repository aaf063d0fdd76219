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
return await parsed.InvokeAsync();
