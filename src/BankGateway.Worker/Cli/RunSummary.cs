using BankGateway.Worker.Hosting;
using System.Globalization;
using BankGateway.Domain;
using BankGateway.Domain.Codes;
using BankGateway.Worker.Intake;
using BankGateway.Worker.Returns;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Spectre.Console;

namespace BankGateway.Worker.Cli;

/// <summary>The one-screen summary after run-once: vouchers, lines paid and failed by code, amounts, returns and their dates.</summary>
internal static class RunSummary
{
    private sealed record VoucherLine(long Id, string AdmDivCode, string VoucherNo, string Status, int DetailCount, long PayAmtFen,
        int PaidCount, long PaidFen, int FailedCount, long FailedFen, DateOnly? DueDate, bool? DueCovered);

    public static async Task PrintAsync(IServiceProvider services, RunReport report, string outbox, CancellationToken ct)
    {
        var db = services.GetRequiredService<NpgsqlDataSource>();
        var ids = report.Intake.Where(o => o.VoucherId is not null).Select(o => o.VoucherId!.Value).Concat(report.Posted).Distinct().ToArray();
        await using var connection = await db.OpenConnectionAsync(ct);
        var vouchers = (await connection.QueryAsync<VoucherLine>(new CommandDefinition("""
            select v.id, v.adm_div_code, v.voucher_no, v.status, v.detail_count, v.pay_amt_fen, v.paid_count, v.paid_fen,
                   v.failed_count, v.failed_fen, r.due_date, r.due_covered
            from vouchers v left join returns r on r.voucher_id = v.id where v.id = any(@ids) order by v.id
            """, new { ids }, cancellationToken: ct))).ToList();
        var byCode = (await connection.QueryAsync<(short Code, long Count)>(new CommandDefinition(
            "select code, count(*) from line_failures where voucher_id = any(@ids) group by code order by code", new { ids }, cancellationToken: ct))).ToList();

        AnsiConsole.MarkupLine($"[bold]run-once[/] business date {report.BusinessDate:yyyy-MM-dd}: " +
            $"{report.Intake.Count(o => o.Kind == IntakeKind.Accepted)} accepted, {report.Intake.Count(o => o.Kind == IntakeKind.Rejected)} rejected, " +
            $"{report.Intake.Count(o => o.Kind == IntakeKind.Redelivered)} re-delivered");

        if (vouchers.Count > 0)
        {
            var table = new Table().AddColumns("voucher", "status", "lines", "paid", "paid (yuan)", "failed", "failed (yuan)", "return due");
            foreach (var v in vouchers)
                table.AddRow(Markup.Escape($"{v.AdmDivCode}/{v.VoucherNo}"), v.Status, N(v.DetailCount), N(v.PaidCount), new Money(v.PaidFen).ToDisplayString(),
                    N(v.FailedCount), new Money(v.FailedFen).ToDisplayString(),
                    v.DueDate is { } d ? d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + (v.DueCovered == false ? " (calendar guess!)" : "") : "");
            AnsiConsole.Write(table);
        }
        foreach (var rejected in report.Intake.Where(o => o.Kind == IntakeKind.Rejected))
            AnsiConsole.MarkupLine($"[red]rejected[/] {Markup.Escape($"{rejected.AdmDivCode}/{rejected.VoucherNo}")}: {rejected.Code} {OutcomeTable.Reason(rejected.Code)} — {Markup.Escape(rejected.Detail ?? "")}");
        if (byCode.Count > 0)
            AnsiConsole.MarkupLine("failed lines by code: " + string.Join(", ", byCode.Select(c =>
                $"{(FailureCode)c.Code} {OutcomeTable.Reason((FailureCode)c.Code)} ×{c.Count}")));
        foreach (var warning in services.GetRequiredService<ReturnScheduler>().Warnings)
            AnsiConsole.MarkupLine($"[yellow]WARNING[/] {Markup.Escape(warning)}");
        foreach (var problem in report.Problems)
            AnsiConsole.MarkupLine($"[red]problem[/] {Markup.Escape(problem)}");
        foreach (var held in report.Quarantined)
            AnsiConsole.MarkupLine($"[red]QUARANTINED[/] {Markup.Escape(held)}");
        AnsiConsole.MarkupLine($"outbound files: {Markup.Escape(Path.GetFullPath(outbox))}");
    }

    private static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
}
