using System.Net.Sockets;
using BankGateway.Testing.Postgres;
using BankGateway.Worker.Containment;
using BankGateway.Worker.Database;
using Npgsql;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Database;

/// <summary>
/// The one rule for database errors that are the moment's, not the work's (D45, D47): what a failover throws is
/// retried, never quarantined; a real error of the statement is the work's.
/// </summary>
[TestFixture]
public sealed class DatabaseFaultsTests
{
    private static PostgresException Server(string sqlState) => new("message", "ERROR", "ERROR", sqlState);

    [TestCase("57P01", TestName = "admin shutdown (the primary stopping)")]
    [TestCase("57P02", TestName = "crash shutdown")]
    [TestCase("08006", TestName = "connection failure")]
    [TestCase("25006", TestName = "read-only transaction (a demoted primary)")]
    [TestCase("53300", TestName = "too many connections")]
    [TestCase("40P01", TestName = "deadlock")]
    [TestCase("40001", TestName = "serialization failure")]
    public void Failover_and_contention_errors_are_transient_and_never_the_works_fault(string sqlState)
    {
        Assert.That(DatabaseFaults.IsTransient(Server(sqlState)), Is.True);
        Assert.That(Quarantine.IsFaultOfTheWork(Server(sqlState), CancellationToken.None), Is.False);
    }

    [TestCase("23505", TestName = "unique violation")]
    [TestCase("22P02", TestName = "invalid text representation")]
    [TestCase("42P01", TestName = "undefined table")]
    public void Errors_of_the_statement_are_the_works(string sqlState)
    {
        Assert.That(DatabaseFaults.IsTransient(Server(sqlState)), Is.False);
        Assert.That(Quarantine.IsFaultOfTheWork(Server(sqlState), CancellationToken.None), Is.True);
    }

    [Test]
    public void Lost_connections_are_transient()
    {
        Assert.Multiple(() =>
        {
            Assert.That(DatabaseFaults.IsTransient(new NpgsqlException("Exception while reading from stream", new EndOfStreamException())), Is.True);
            Assert.That(DatabaseFaults.IsTransient(new NpgsqlException("Unable to connect to a suitable host.",
                new AggregateException(new NpgsqlException("refused", new SocketException((int)SocketError.ConnectionRefused))))), Is.True);
            Assert.That(DatabaseFaults.IsTransient(new IOException("disk full")), Is.False, "a file error is not the database's");
            Assert.That(Quarantine.IsFaultOfTheWork(new IOException("disk full"), CancellationToken.None), Is.True);
            Assert.That(DatabaseFaults.IsTransient(new InvalidOperationException("bug")), Is.False);
        });
    }

    [Test]
    public async Task No_writable_primary_among_the_hosts_as_npgsql_reports_it_is_transient()
    {
        // The shared server is a primary: asking for a standby gets exactly what a primary-seeking string gets
        // from a standby before its promotion.
        var server = await TestDatabase.GetSharedAsync();
        var settings = new NpgsqlConnectionStringBuilder(server.ServerConnectionString) { TargetSessionAttributes = "standby", Pooling = false };
        settings.Host = $"{settings.Host}:{settings.Port},{settings.Host}:{settings.Port}"; // Npgsql takes the attribute only with several hosts
        await using var connection = new NpgsqlConnection(settings.ConnectionString);
        var e = Assert.ThrowsAsync<NpgsqlException>(() => connection.OpenAsync());
        Assert.That(DatabaseFaults.IsTransient(e!), Is.True, e!.ToString());
    }
}
