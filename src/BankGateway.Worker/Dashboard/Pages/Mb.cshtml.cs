using BankGateway.Files.Signing;
using Dapper;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace BankGateway.Worker.Dashboard.Pages;

/// <summary>
/// 明白条 (MB_, contract §16) files the gateway wrote, each downloadable (CSV or its .sig) by an operator. The file is
/// looked up by its recorded name in outbound_files (never a path from the request) and streamed from its recorded
/// archive_path only when its bytes still have the recorded SM3; otherwise the download is refused and alarmed.
/// </summary>
public sealed class MbModel(ILogger<MbModel> logger) : DashboardPage
{
    public IReadOnlyList<OutboundFileRow> Files { get; private set; } = [];

    public async Task OnGetAsync()
    {
        var db = HttpContext.RequestServices.GetRequiredService<NpgsqlDataSource>();
        await using var connection = await db.OpenConnectionAsync(HttpContext.RequestAborted);
        Files = (await connection.QueryAsync<OutboundFileRow>(new CommandDefinition("""
            select file_name, kind, sm3, size_bytes, archive_path, created_at from outbound_files
            where kind = 'MB' order by created_at desc, file_name limit 500
            """, cancellationToken: HttpContext.RequestAborted))).ToList();
    }

    /// <summary>下载: a POST (antiforgery) naming a recorded MB_ file; <paramref name="sig"/> for its signature.</summary>
    public async Task<IActionResult> OnPostDownloadAsync([FromForm] string? name, [FromForm] bool sig)
    {
        // 明白条 carry full names and ID numbers: an operator's download, not a viewer's.
        if (RefuseUnlessOperator() is { } refused) return refused;
        var ct = HttpContext.RequestAborted;
        var db = HttpContext.RequestServices.GetRequiredService<NpgsqlDataSource>();
        await using var connection = await db.OpenConnectionAsync(ct);
        var file = await connection.QuerySingleOrDefaultAsync<OutboundFileRow>(new CommandDefinition(
            "select file_name, kind, sm3, size_bytes, archive_path, created_at from outbound_files where kind = 'MB' and file_name = @name",
            new { name = name ?? "" }, cancellationToken: ct));
        if (file is null) return NotFound();

        string path = file.ArchivePath;
        string? problem = null;
        byte[]? csv = null;
        if (!System.IO.File.Exists(path)) problem = "文件不存在";
        else
        {
            csv = await System.IO.File.ReadAllBytesAsync(path, ct);
            string actual = Sm3.HashHex(csv);
            if (!string.Equals(actual, file.Sm3, StringComparison.OrdinalIgnoreCase)) problem = $"SM3 为 {actual}，与记录的 {file.Sm3} 不符";
            else if (sig && !System.IO.File.Exists(SignatureFile.SigPath(path))) problem = "签名文件不存在";
        }

        await using var tx = await connection.BeginTransactionAsync(ct);
        if (problem is not null)
        {
            Hosting.Service.GatewayMetrics.OutboundTampered.Inc();
            logger.LogError("ALARM dashboard: download of {File} refused: {Problem} (archive {Path})", file.FileName, problem, path);
            await UserStore.Audit(connection, tx, Actor, "mb.refused", "file:" + file.FileName, problem, ct);
            await tx.CommitAsync(ct);
            Flash = $"{file.FileName} 校验不符（{problem}），已拒绝下载并告警。";
            return RedirectToPage();
        }
        string served = sig ? file.FileName + ".sig" : file.FileName;
        await UserStore.Audit(connection, tx, Actor, "mb.download", "file:" + file.FileName, $"下载 {served}，SM3 {file.Sm3}", ct);
        await tx.CommitAsync(ct);
        byte[] bytes = sig ? await System.IO.File.ReadAllBytesAsync(SignatureFile.SigPath(path), ct) : csv!;
        return File(bytes, sig ? "application/octet-stream" : "text/csv; charset=utf-8", served);
    }
}
