using System.CommandLine;

namespace BankGateway.Worker.Cli;

internal static class DemoCommand
{
    public static Command Build() => new("demo", "runs the whole pipeline on generated sample files with the embedded database");
}
