using BankGateway.Worker.Hosting;
using Dapper;
using Microsoft.AspNetCore.Identity;
using Npgsql;

namespace BankGateway.Worker.Dashboard;

/// <summary>An operator account of the dashboard (table <c>users</c>).</summary>
public sealed record DashboardUser(string Name, string Role, string PasswordHash, string Stamp, int FailedLogins, DateTime? LockedUntil, DateTime CreatedAt, DateTime UpdatedAt);

/// <summary>What a login attempt came to. <c>Locked</c> also answers a correct password while the lock lasts.</summary>
public enum LoginOutcome { Success, WrongPassword, Locked }

/// <summary>
/// Operator accounts: create or update (<c>users add</c>, the users page), password checks with
/// lockout, and the stamp a session is checked against on every request. Every change is audited.
/// </summary>
public sealed class UserStore(NpgsqlDataSource db, GatewayClock clock)
{
    /// <summary>Failed logins in a row before the account locks, and for how long.</summary>
    public const int MaxFailedLogins = 5;
    public static readonly TimeSpan LockoutTime = TimeSpan.FromMinutes(15);

    private static readonly PasswordHasher<DashboardUser> Hasher = new();
    // Verified against when the name is unknown, so a wrong name costs as much time as a wrong password.
    private static readonly string DummyHash = Hasher.HashPassword(null!, Guid.NewGuid().ToString());

    public static bool IsValidName(string? name) =>
        !string.IsNullOrEmpty(name) && name.Length <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    /// <summary>Creates the account or updates its role and password (contract §11). Returns true when it was created.</summary>
    public async Task<bool> AddOrUpdateAsync(string name, string role, string password, string actor, CancellationToken ct)
    {
        if (!IsValidName(name)) throw new ArgumentException($"user name '{name}' must be 1–64 letters, digits, '.', '_' or '-'", nameof(name));
        if (!Roles.IsValid(role)) throw new ArgumentException($"role '{role}' must be viewer, operator or admin", nameof(role));
        if (string.IsNullOrEmpty(password)) throw new ArgumentException("the password is empty", nameof(password));
        return await AddOrUpdateHashedAsync(name, role, HashPassword(password), actor, ct);
    }

    /// <summary>The stored form of a password (a dual-control request carries this, never the password).</summary>
    public static string HashPassword(string password) => Hasher.HashPassword(null!, password);

    /// <summary>As <see cref="AddOrUpdateAsync"/> with the password already hashed (an approved dual-control request).</summary>
    public async Task<bool> AddOrUpdateHashedAsync(string name, string role, string hash, string actor, CancellationToken ct)
    {
        if (!IsValidName(name)) throw new ArgumentException($"user name '{name}' must be 1–64 letters, digits, '.', '_' or '-'", nameof(name));
        if (!Roles.IsValid(role)) throw new ArgumentException($"role '{role}' must be viewer, operator or admin", nameof(role));
        if (string.IsNullOrEmpty(hash)) throw new ArgumentException("the password hash is empty", nameof(hash));
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        bool created = await connection.ExecuteScalarAsync<bool>(new CommandDefinition("""
            insert into users as u (name, role, password_hash, stamp, created_at, updated_at)
            values (@name, @role, @hash, @stamp, @now, @now)
            on conflict (name) do update set role = excluded.role, password_hash = excluded.password_hash, stamp = excluded.stamp,
                failed_logins = 0, locked_until = null, updated_at = excluded.updated_at
            returning (xmax = 0)
            """, new { name, role, hash, stamp = NewStamp(), now = clock.UtcNow }, tx, cancellationToken: ct));
        await Audit(connection, tx, actor, created ? "user.add" : "user.update", name, $"role {role}", ct);
        await tx.CommitAsync(ct);
        return created;
    }

    public async Task<bool> RemoveAsync(string name, string actor, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        int n = await connection.ExecuteAsync(new CommandDefinition("delete from users where name = @name", new { name }, tx, cancellationToken: ct));
        if (n > 0) await Audit(connection, tx, actor, "user.remove", name, null, ct);
        await tx.CommitAsync(ct);
        return n > 0;
    }

    public async Task<bool> UnlockAsync(string name, string actor, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        int n = await connection.ExecuteAsync(new CommandDefinition(
            "update users set failed_logins = 0, locked_until = null where name = @name and (locked_until is not null or failed_logins > 0)",
            new { name }, tx, cancellationToken: ct));
        if (n > 0) await Audit(connection, tx, actor, "user.unlock", name, null, ct);
        await tx.CommitAsync(ct);
        return n > 0;
    }

    public async Task<DashboardUser?> FindAsync(string name, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<DashboardUser>(new CommandDefinition(
            "select name, role, password_hash, stamp, failed_logins, locked_until, created_at, updated_at from users where name = @name",
            new { name }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<DashboardUser>> ListAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<DashboardUser>(new CommandDefinition(
            "select name, role, password_hash, stamp, failed_logins, locked_until, created_at, updated_at from users order by name",
            cancellationToken: ct))).ToList();
    }

    /// <summary>
    /// Checks a password. Five wrong ones in a row lock the account for 15 minutes; while locked even the
    /// right password is refused (and not checked). The row is locked so parallel guesses count one by one.
    /// </summary>
    public async Task<(LoginOutcome Outcome, DashboardUser? User)> CheckPasswordAsync(string name, string password, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var user = await connection.QuerySingleOrDefaultAsync<DashboardUser>(new CommandDefinition(
            "select name, role, password_hash, stamp, failed_logins, locked_until, created_at, updated_at from users where name = @name for update",
            new { name }, tx, cancellationToken: ct));
        var now = clock.UtcNow;
        if (user is null)
        {
            Hasher.VerifyHashedPassword(null!, DummyHash, password ?? "");
            await Audit(connection, tx, Actor(name), "login.failed", null, "unknown user", ct);
            await tx.CommitAsync(ct);
            return (LoginOutcome.WrongPassword, null);
        }
        if (user.LockedUntil is { } until && Utc(until) > now)
        {
            await Audit(connection, tx, user.Name, "login.refused", user.Name, "account locked", ct);
            await tx.CommitAsync(ct);
            return (LoginOutcome.Locked, null);
        }
        var result = Hasher.VerifyHashedPassword(user, user.PasswordHash, password ?? "");
        if (result == PasswordVerificationResult.Failed)
        {
            int failed = (user.LockedUntil is null ? user.FailedLogins : 0) + 1;
            bool lockNow = failed >= MaxFailedLogins;
            await connection.ExecuteAsync(new CommandDefinition(
                "update users set failed_logins = @failed, locked_until = @until where name = @name",
                new { name = user.Name, failed = lockNow ? 0 : failed, until = lockNow ? now + LockoutTime : (DateTimeOffset?)null }, tx, cancellationToken: ct));
            await Audit(connection, tx, user.Name, lockNow ? "login.locked" : "login.failed", user.Name,
                lockNow ? $"{MaxFailedLogins} wrong passwords in a row: locked for {LockoutTime.TotalMinutes} minutes" : $"wrong password ({failed} in a row)", ct);
            await tx.CommitAsync(ct);
            return (lockNow ? LoginOutcome.Locked : LoginOutcome.WrongPassword, null);
        }
        string hash = result == PasswordVerificationResult.SuccessRehashNeeded ? Hasher.HashPassword(user, password!) : user.PasswordHash;
        await connection.ExecuteAsync(new CommandDefinition(
            "update users set failed_logins = 0, locked_until = null, password_hash = @hash where name = @name",
            new { name = user.Name, hash }, tx, cancellationToken: ct));
        await Audit(connection, tx, user.Name, "login", user.Name, null, ct);
        await tx.CommitAsync(ct);
        return (LoginOutcome.Success, user);
    }

    internal static Task Audit(NpgsqlConnection connection, NpgsqlTransaction tx, string actor, string action, string? subject, string? detail, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(
            "insert into audit_log (actor, action, subject, detail) values (@actor, @action, @subject, @detail)",
            new { actor, action, subject, detail }, tx, cancellationToken: ct));

    // An unknown name typed at the login form is logged only in a safe, bounded shape.
    private static string Actor(string? name) => IsValidName(name) ? name! : "(invalid name)";

    private static string NewStamp() => Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}
