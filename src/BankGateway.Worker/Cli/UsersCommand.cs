using System.CommandLine;
using System.Text;
using BankGateway.Worker.Dashboard;
using BankGateway.Worker.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace BankGateway.Worker.Cli;

/// <summary>
/// <c>users add &lt;name&gt; --role viewer|operator|admin</c> (contract §11): creates or updates a dashboard
/// account. The password comes from BANKGATEWAY_PASSWORD, or from standard input when that is unset;
/// never from the command line, where other users of the machine could read it. <c>users list</c> shows the accounts.
/// </summary>
internal static class UsersCommand
{
    public const string PasswordVariable = "BANKGATEWAY_PASSWORD";

    public static Command Build()
    {
        var users = new Command("users", "dashboard operator accounts");
        var name = new Argument<string>("name") { Description = "login name: letters, digits, '.', '_' or '-'" };
        var role = new Option<string>("--role") { Description = "viewer (reads), operator (also acts), admin (also manages users)", Required = true };
        role.AcceptOnlyFromAmong([.. Roles.All]);
        var add = new Command("add", $"creates or updates an account; password from {PasswordVariable} or standard input") { name, role };
        add.SetAction((p, ct) => GatewayCommands.Guard(async () =>
        {
            string user = p.GetValue(name)!;
            if (!UserStore.IsValidName(user))
            {
                Console.Error.WriteLine($"usage error: user name '{user}' must be 1–64 letters, digits, '.', '_' or '-'");
                return ExitCodes.Usage;
            }
            string? password = ReadPassword();
            if (string.IsNullOrEmpty(password))
            {
                Console.Error.WriteLine($"usage error: no password: set {PasswordVariable} or write it to standard input");
                return ExitCodes.Usage;
            }
            if (password.Length < 12) Console.Error.WriteLine("warning: the password is shorter than 12 characters");
            await using var services = await CommandContext.StartAsync(null, ct);
            var store = new UserStore(services.GetRequiredService<NpgsqlDataSource>(), services.GetRequiredService<GatewayClock>());
            bool created = await store.AddOrUpdateAsync(user, p.GetValue(role)!, password, "cli:" + Environment.UserName, ct);
            Console.WriteLine($"users add: {(created ? "created" : "updated")} {user} ({p.GetValue(role)})");
            return ExitCodes.Success;
        }));
        var list = new Command("list", "lists the accounts with their roles and lock state");
        list.SetAction((_, ct) => GatewayCommands.Guard(async () =>
        {
            await using var services = await CommandContext.StartAsync(null, ct);
            var store = new UserStore(services.GetRequiredService<NpgsqlDataSource>(), services.GetRequiredService<GatewayClock>());
            foreach (var u in await store.ListAsync(ct))
                Console.WriteLine($"{u.Name}\t{u.Role}{(u.LockedUntil is { } t && t > DateTime.UtcNow ? $"\tlocked until {Display.Time(t)}" : "")}");
            return ExitCodes.Success;
        }));
        users.Subcommands.Add(add);
        users.Subcommands.Add(list);
        return users;
    }

    /// <summary>The environment variable, else standard input: one line when piped, typed without echo at a terminal.</summary>
    internal static string? ReadPassword()
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable(PasswordVariable);
        if (fromEnvironment is not null) return fromEnvironment;
        if (Console.IsInputRedirected) return Console.In.ReadLine()?.TrimEnd('\r', '\n');
        Console.Error.Write("password: ");
        var typed = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) break;
            if (key.Key == ConsoleKey.Backspace) { if (typed.Length > 0) typed.Length--; }
            else if (!char.IsControl(key.KeyChar)) typed.Append(key.KeyChar);
        }
        Console.Error.WriteLine();
        return typed.ToString();
    }
}
