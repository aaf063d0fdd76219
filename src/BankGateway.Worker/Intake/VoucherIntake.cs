using System.Text;
using BankGateway.Domain;
using BankGateway.Domain.Catalogue;
using BankGateway.Domain.Codes;
using BankGateway.Domain.Validation;
using BankGateway.Domain.Vouchers;
using BankGateway.Files.Formats;
using BankGateway.Files.Signing;
using BankGateway.Worker.Hosting;
using BankGateway.Worker.Results;
using BankGateway.Worker.Validation;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;
using BankGateway.Domain.States;

namespace BankGateway.Worker.Intake;

/// <summary>
/// Takes one complete voucher set: binds it by digest, verifies the finance bureau's signature,
/// checks R01–R07, and records the voucher with every line (binary COPY) in one transaction
/// before anything is posted. A rejected set is recorded as such (the results stage answers it with RJ_).
/// </summary>
internal sealed class VoucherIntake(
    NpgsqlDataSource db,
    GatewayClock time,
    CatalogueStore catalogue,
    ILogger<VoucherIntake> logger,
    GatewaySettings settings)
{
    /// <param name="detailCopy">When given, the archive copy of the detail file, written by the read that records it
    /// and completed with its SM3 when the voucher is recorded.</param>
    public async Task<IntakeOutcome> TakeAsync(VoucherSet set, Sm2PublicKey financeKey, DateOnly businessDate, CancellationToken ct,
        Archive.ArchiveCopy? detailCopy = null)
    {
        // The bytes read here are the ones verified, parsed and recorded (contract §12): never a second read.
        var voucherBytes = await ReadVoucherBytesAsync(set, ct);
        var sigBytes = await ReadSigBytesAsync(set, ct);
        string detailSm3 = set.DetailPath is null ? "" : await Sm3.HashFileHexAsync(set.DetailPath, ct);
        string contentSm3 = ContentDigest(voucherBytes, detailSm3);
        // A delivery is the content plus its signature: a bureau that re-sends the same voucher with a
        // corrected .sig makes a new delivery, while an accepted voucher is recognised by content alone.
        string deliveryKey = ContentDigest(voucherBytes, detailSm3 + ":" + Sm3.HashHex(sigBytes));

        var known = await FindDeliveryAsync(contentSm3, deliveryKey, ct);
        if (known is not null)
        {
            logger.LogInformation("Intake: {Voucher} is an identical re-delivery of delivery {Id}; acknowledged again, not re-posted", set.VoucherFileName, known.Id);
            await AnswerAgainAsync(known.Id, known.VoucherId, ct);
            return new IntakeOutcome(IntakeKind.Redelivered, set.AdmDivCode, set.VoucherNo, known.VoucherId);
        }

        var now = time.UtcNow;
        var verdict = await CheckAsync(set, voucherBytes, sigBytes, detailSm3, financeKey, ct);
        if (verdict.Code != RejectCode.None)
            return await RejectAsync(set, deliveryKey, verdict.Code, verdict.Detail!, now, ct);

        var voucher = verdict.Voucher!;
        var recorded = await RecordAsync(set, voucher, verdict.Entry!, contentSm3, deliveryKey, businessDate, now, detailCopy, ct);
        if (recorded.Code != RejectCode.None)
            return await RejectAsync(set, deliveryKey, recorded.Code, recorded.Detail!, now, ct);

        logger.LogInformation("Intake: recorded voucher {Adm}/{VoucherNo} with {Lines} lines, {Amount} yuan",
            voucher.AdmDivCode, voucher.VoucherNo, voucher.DetailCount, voucher.PayAmt);
        return new IntakeOutcome(IntakeKind.Accepted, voucher.AdmDivCode, voucher.VoucherNo, recorded.VoucherId);
    }

    /// <summary>The identity of a delivery: SM3 over the voucher's bytes followed by the detail file's SM3 in hex.</summary>
    internal static string ContentDigest(byte[] voucherBytes, string detailSm3)
    {
        var hasher = new Sm3Hasher();
        hasher.Append(voucherBytes);
        hasher.Append(Encoding.ASCII.GetBytes(detailSm3));
        return hasher.FinishHex();
    }

    private async Task<byte[]> ReadVoucherBytesAsync(VoucherSet set, CancellationToken ct)
    {
        // Bounded before reading: a voucher is a few KB. An oversize one stands for itself by its SM3 (so two
        // different ones never look identical) and is refused R05 unread.
        if (new FileInfo(set.VoucherPath).Length > settings.MaxVoucherBytes)
            return System.Text.Encoding.ASCII.GetBytes("oversize:" + await Sm3.HashFileHexAsync(set.VoucherPath, ct));
        return await File.ReadAllBytesAsync(set.VoucherPath, ct);
    }

    private sealed record Verdict(RejectCode Code, string? Detail, Voucher? Voucher, CatalogueEntry? Entry);

    private async Task<byte[]> ReadSigBytesAsync(VoucherSet set, CancellationToken ct)
    {
        // A .sig is one line of base64; anything far larger is malformed (R01) and is not read whole.
        const int MaxSigBytes = 4096;
        if (new FileInfo(set.SigPath).Length > MaxSigBytes) return [];
        return await File.ReadAllBytesAsync(set.SigPath, ct);
    }

    private async Task<Verdict> CheckAsync(VoucherSet set, byte[] voucherBytes, byte[] sigBytes, string detailSm3, Sm2PublicKey financeKey, CancellationToken ct)
    {
        // R01 first: nothing a bureau did not sign is read further. The signature is checked over the very
        // bytes parsed below (an oversize voucher, refused unread, is checked from its file).
        bool oversize = new FileInfo(set.VoucherPath).Length > settings.MaxVoucherBytes;
        var signature = oversize
            ? SignatureFile.Verify(set.VoucherPath, financeKey, set.SigPath)
            : SignatureFile.VerifyBytes(voucherBytes, System.Text.Encoding.ASCII.GetString(sigBytes), financeKey, set.VoucherFileName);
        if (!signature.IsValid)
            return new Verdict(RejectCode.R01, $"{set.VoucherFileName}.sig: " + signature.Status switch
            {
                // File names only: an RJ_ travels to the bureau and must not show our folders.
                SignatureStatus.SigMalformed => "not one line of base64 DER SEQUENCE { r, s }",
                _ => "signature does not match the finance bureau's public key",
            }, null, null);

        if (oversize)
            return new Verdict(RejectCode.R05, $"{set.VoucherFileName}: {new FileInfo(set.VoucherPath).Length} bytes, over the limit of {settings.MaxVoucherBytes} (Gateway:Intake:MaxVoucherBytes)", null, null);
        var read = VoucherXml.Read(new MemoryStream(voucherBytes, writable: false), set.VoucherFileName);
        if (read.Voucher is not { } voucher)
            return new Verdict(RejectCode.R05, read.Error, null, null);
        if (voucher.AdmDivCode != set.AdmDivCode || voucher.VoucherNo != set.VoucherNo)
            return new Verdict(RejectCode.R05, $"{set.VoucherFileName}: AdmDivCode/VoucherNo ({voucher.AdmDivCode}/{voucher.VoucherNo}) do not match the file name", voucher, null);

        if (await VoucherNumberTakenAsync(voucher, ct))
            return new Verdict(RejectCode.R04, $"voucher {voucher.AdmDivCode}/{voucher.VoucherNo} was already received with different content", voucher, null);

        if (!string.Equals(detailSm3, voucher.DetailFileSm3, StringComparison.OrdinalIgnoreCase))
            return new Verdict(RejectCode.R02, $"{voucher.DetailFile}: SM3 is {detailSm3}, the voucher says {voucher.DetailFileSm3}", voucher, null);

        var entry = await catalogue.FindAsync(voucher.StYear, voucher.DeptName, voucher.SubsidyName, ct);
        if (entry is null)
            return new Verdict(RejectCode.R07, $"{voucher.DeptName} / {voucher.SubsidyName} is not in the {voucher.StYear} catalogue", voucher, null);

        return new Verdict(RejectCode.None, null, voucher, entry);
    }

    private sealed record Recorded(RejectCode Code, string? Detail, long VoucherId);

    /// <summary>Records voucher and lines in one transaction; R06/R03 found while streaming roll it all back.</summary>
    private async Task<Recorded> RecordAsync(VoucherSet set, Voucher voucher, CatalogueEntry entry, string contentSm3, string deliveryKey, DateOnly businessDate, DateTimeOffset now,
        Archive.ArchiveCopy? detailCopy, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        long voucherId = await InsertVoucherAsync(connection, voucher, entry, contentSm3, businessDate, now, ct);

        var prechecker = new LinePrechecker(voucher, entry);
        var sum = new VoucherTotals.CheckedSum();
        int rows;
        string recordedSm3;
        try
        {
            await using var file = new FileStream(set.DetailPath!, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            // The archive copy, if any, takes exactly the bytes hashed and parsed here.
            await using var hashed = new HashingReadStream(file, detailCopy);
            await using var reader = new IssuanceListReader(hashed, voucher.DetailEncoding, voucher.DetailFile, leaveOpen: true);
            await using var recorder = await LineRecorder.StartAsync(connection, voucherId, ct);
            while (reader.TryRead(out var line))
            {
                if (recorder.Rows >= voucher.DetailCount)
                    return new Recorded(RejectCode.R03, $"{voucher.DetailFile} has more than DetailCount={voucher.DetailCount} lines", 0);
                var (code, reportedFen) = prechecker.Check(line);
                sum.Add(reportedFen ?? 0);
                recorder.Write(line, code, reportedFen);
            }
            rows = recorder.Rows;
            if (rows != voucher.DetailCount)
                return new Recorded(RejectCode.R03, $"{voucher.DetailFile} has {rows} lines, DetailCount is {voucher.DetailCount}", 0);
            // Exact arithmetic: a sum that would wrap 64 bits can never equal PayAmt (contract §12).
            if (sum.Fen != voucher.PayAmt.Fen)
                return new Recorded(RejectCode.R03, $"{voucher.DetailFile} lines sum to {sum.Describe()}, PayAmt is {voucher.PayAmt}", 0);
            // What was recorded is what was checked: the bytes just parsed must be the ones whose SM3 the bureau signed.
            await hashed.CopyToAsync(Stream.Null, ct);
            recordedSm3 = await hashed.FinishHexAsync();
            if (!string.Equals(recordedSm3, voucher.DetailFileSm3, StringComparison.OrdinalIgnoreCase))
                return new Recorded(RejectCode.R02, $"{voucher.DetailFile}: changed while being read (SM3 of the bytes read is {recordedSm3}, the voucher says {voucher.DetailFileSm3})", 0);
            await recorder.CompleteAsync(ct);
        }
        catch (FileFormatException e)
        {
            return new Recorded(RejectCode.R06, e.Message, 0);
        }

        int chunks = (rows + settings.ChunkSize - 1) / settings.ChunkSize;
        await connection.ExecuteAsync(new CommandDefinition("""
            update vouchers set chunk_count = @chunks where id = @voucherId;
            insert into deliveries (content_sm3, adm_div_code, voucher_no, voucher_file, detail_file, outcome, voucher_id, received_at)
            values (@deliveryKey, @adm, @no, @file, @detail, @accepted, @voucherId, @now);
            insert into channels (adm_div_code) values (@adm) on conflict do nothing;
            """,
            new { chunks, voucherId, deliveryKey, adm = voucher.AdmDivCode, no = voucher.VoucherNo, file = set.VoucherFileName, detail = voucher.DetailFile, now, accepted = DeliveryOutcome.Accepted },
            tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        detailCopy?.Complete(recordedSm3);
        if (prechecker.PhoneWarnings > 0)
            logger.LogWarning("Intake: {Voucher} has {Count} lines with a malformed 手机号码 (paid anyway; no SMS possible)", set.VoucherFileName, prechecker.PhoneWarnings);
        return new Recorded(RejectCode.None, null, voucherId);
    }

    private static async Task<long> InsertVoucherAsync(NpgsqlConnection connection, Voucher v, CatalogueEntry entry, string contentSm3, DateOnly businessDate, DateTimeOffset now, CancellationToken ct) =>
        await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            insert into vouchers (adm_div_code, voucher_no, content_sm3, status, business_date, received_at,
                vt_code, st_year, vou_date, dept_code, dept_name, subsidy_code, subsidy_name, period, pay_acct_no,
                pay_acct_name, fund_channel, return_acct_no, return_acct_name, pay_amt_fen, detail_count, detail_file,
                detail_file_sm3, detail_encoding, reissue_of, payment_key)
            values (@AdmDivCode, @VoucherNo, @contentSm3, @received, @businessDate, @now,
                @VtCode, @StYear, @VouDate, @DeptCode, @DeptName, @SubsidyCode, @SubsidyName, @Period, @PayAcctNo,
                @PayAcctName, @fundChannel, @ReturnAcctNo, @ReturnAcctName, @payAmtFen, @DetailCount, @DetailFile,
                @DetailFileSm3, @encoding, @ReissueOf, @paymentKey)
            returning id
            """,
            new
            {
                v.AdmDivCode, v.VoucherNo, contentSm3, businessDate, now, v.VtCode, v.StYear, v.VouDate, v.DeptCode, v.DeptName,
                v.SubsidyCode, v.SubsidyName, v.Period, v.PayAcctNo, v.PayAcctName, fundChannel = v.FundChannel.ToString(),
                v.ReturnAcctNo, v.ReturnAcctName, payAmtFen = v.PayAmt.Fen, v.DetailCount, v.DetailFile, v.DetailFileSm3,
                encoding = v.DetailEncoding == DetailEncoding.Gb18030 ? "GB18030" : "UTF-8", v.ReissueOf,
                paymentKey = PaymentKey.For(entry, v.Period), received = VoucherStatus.Received,
            }, cancellationToken: ct));

    private async Task<bool> VoucherNumberTakenAsync(Voucher v, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select 1 from vouchers where adm_div_code = @AdmDivCode and voucher_no = @VoucherNo)", new { v.AdmDivCode, v.VoucherNo }, cancellationToken: ct));
    }

    private sealed record KnownDelivery(long Id, long? VoucherId);

    /// <summary>An accepted voucher with this content, else a rejected delivery with these exact files.</summary>
    private async Task<KnownDelivery?> FindDeliveryAsync(string contentSm3, string deliveryKey, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QueryFirstOrDefaultAsync<KnownDelivery>(new CommandDefinition("""
            select d.id as Id, d.voucher_id as VoucherId from vouchers v join deliveries d on d.voucher_id = v.id and d.outcome = @accepted
            where v.content_sm3 = @contentSm3
            union all
            select d.id, d.voucher_id from deliveries d where d.content_sm3 = @deliveryKey and d.outcome = @rejected
            limit 1
            """, new { contentSm3, deliveryKey, accepted = DeliveryOutcome.Accepted, rejected = DeliveryOutcome.Rejected }, cancellationToken: ct));
    }

    /// <summary>
    /// An identical re-delivery is answered again: whatever was sent for it (RS_ and HD_, or RJ_) goes out once more.
    /// What is not produced yet goes out when the results stage produces it.
    /// </summary>
    private async Task AnswerAgainAsync(long deliveryId, long? voucherId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var names = await connection.QueryAsync<string>(new CommandDefinition(
            "select file_name from outbound_files where source = @delivery or (kind in ('RS', 'HD') and source = @voucher)",
            new { delivery = $"delivery:{deliveryId}", voucher = $"voucher:{voucherId}" }, tx, cancellationToken: ct));
        await Delivery.DeliveryQueue.RequestResendAsync(connection, tx, names, "intake", ct);
        await tx.CommitAsync(ct);
    }

    private async Task<IntakeOutcome> RejectAsync(VoucherSet set, string deliveryKey, RejectCode code, string detail, DateTimeOffset now, CancellationToken ct)
    {
        // The answer carries the names of the file the bureau sent, whatever its content claims.
        string adm = set.AdmDivCode;
        string no = set.VoucherNo;
        long deliveryId;
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            deliveryId = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
                insert into deliveries (content_sm3, adm_div_code, voucher_no, voucher_file, detail_file, outcome, reject_code, reject_detail, received_at)
                values (@deliveryKey, @adm, @no, @file, @detail, @rejected, @code, @reason, @now)
                on conflict (content_sm3) do update set content_sm3 = excluded.content_sm3
                returning id
                """,
                new { deliveryKey, adm, no, file = set.VoucherFileName, detail = set.DetailPath is null ? null : Path.GetFileName(set.DetailPath), code = code.ToString(), reason = detail, now, rejected = DeliveryOutcome.Rejected },
                cancellationToken: ct));
        }
        logger.LogWarning("Intake: rejected {Voucher} with {Code} {Reason}: {Detail}", set.VoucherFileName, code, OutcomeTable.Reason(code), detail);
        // The RJ_ notice is the results stage's work: it answers every rejected delivery without one.
        return new IntakeOutcome(IntakeKind.Rejected, adm, no, null, code, detail);
    }
}
