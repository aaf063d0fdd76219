namespace BankGateway.Worker.Intake;

/// <summary>
/// A voucher with its signature and detail file, as found in an inbox. <see cref="DetailPath"/> is
/// null when the voucher's XML could not be read far enough to name it (the set is then rejected R05).
/// Members may already sit in <c>processed/</c> when a crash interrupted the move.
/// </summary>
internal sealed record VoucherSet(
    string AdmDivCode,
    string VoucherNo,
    string VoucherPath,
    string SigPath,
    string? DetailPath,
    DateTime ArrivedAtUtc)
{
    public string VoucherFileName => Path.GetFileName(VoucherPath);

    public IEnumerable<string> MemberPaths =>
        DetailPath is null ? [VoucherPath, SigPath] : [VoucherPath, SigPath, DetailPath];
}
