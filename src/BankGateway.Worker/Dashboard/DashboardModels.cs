using BankGateway.Domain.States;

namespace BankGateway.Worker.Dashboard;

// Rows the pages show. Plain classes so Dapper maps columns by name (snake_case) in any order.

/// <summary>One bureau on one business day: vouchers by state and their money, from the voucher counters only.</summary>
public sealed class BureauDay
{
    public string AdmDivCode { get; init; } = "";
    public DateOnly Day { get; init; }
    public int Received { get; init; }
    public int Held { get; init; }
    public int Posting { get; init; }
    public int Completed { get; init; }
    public int Rejected { get; init; }
    public long Lines { get; init; }
    public long TotalFen { get; init; }
    public long PaidCount { get; init; }
    public long PaidFen { get; init; }
    public long FailedCount { get; init; }
    public long FailedFen { get; init; }
    public int ReturnsDue { get; init; }
    public long ReturnsDueFen { get; init; }
    public int Returned { get; init; }
    public long ReturnedFen { get; init; }
}

/// <summary>A voucher as lists show it: header, state and the summary counters.</summary>
public sealed class VoucherRow
{
    public long Id { get; init; }
    public string AdmDivCode { get; init; } = "";
    public string VoucherNo { get; init; } = "";
    public VoucherStatus Status { get; init; } = null!;
    public DateOnly BusinessDate { get; init; }
    public DateTime ReceivedAt { get; init; }
    public DateTime? CompletedAt { get; init; }
    public string DeptName { get; init; } = "";
    public string SubsidyName { get; init; } = "";
    public string Period { get; init; } = "";
    public long PayAmtFen { get; init; }
    public int DetailCount { get; init; }
    public int ChunkCount { get; init; }
    public int ChunksDone { get; init; }
    public int PaidCount { get; init; }
    public long PaidFen { get; init; }
    public int FailedCount { get; init; }
    public long FailedFen { get; init; }
    public ReturnStatus? ReturnStatus { get; init; }
    public DateOnly? ReturnDue { get; init; }
}

/// <summary>The full header of one voucher (detail page).</summary>
public sealed class VoucherHeader
{
    public long Id { get; init; }
    public string AdmDivCode { get; init; } = "";
    public string VoucherNo { get; init; } = "";
    public VoucherStatus Status { get; init; } = null!;
    public DateOnly BusinessDate { get; init; }
    public DateTime ReceivedAt { get; init; }
    public DateTime? CompletedAt { get; init; }
    public string VtCode { get; init; } = "";
    public int StYear { get; init; }
    public DateOnly VouDate { get; init; }
    public string DeptCode { get; init; } = "";
    public string DeptName { get; init; } = "";
    public string SubsidyCode { get; init; } = "";
    public string SubsidyName { get; init; } = "";
    public string Period { get; init; } = "";
    public string PayAcctNo { get; init; } = "";
    public string PayAcctName { get; init; } = "";
    public string FundChannel { get; init; } = "";
    public string ReturnAcctNo { get; init; } = "";
    public string ReturnAcctName { get; init; } = "";
    public long PayAmtFen { get; init; }
    public int DetailCount { get; init; }
    public string DetailFile { get; init; } = "";
    public string DetailFileSm3 { get; init; } = "";
    public string DetailEncoding { get; init; } = "";
    public string? ReissueOf { get; init; }
    public int ChunkCount { get; init; }
    public int ChunksDone { get; init; }
    public int PaidCount { get; init; }
    public long PaidFen { get; init; }
    public int FailedCount { get; init; }
    public long FailedFen { get; init; }
    public string? ClaimedBy { get; init; }
    public DateTime? ClaimExpiresAt { get; init; }
    public ReturnStatus? ReturnStatus { get; init; }
    public DateOnly? ReturnDue { get; init; }
    public bool? ReturnDueCovered { get; init; }
    public int? ReturnCount { get; init; }
    public long? ReturnFen { get; init; }
    public DateTime? ReturnExecutedAt { get; init; }
    public string? ReturnExecutedBy { get; init; }

    public string Subject => $"{AdmDivCode}/{VoucherNo}";
}

/// <summary>One entry of a voucher's history, from whichever table recorded it.</summary>
public sealed class HistoryEntry
{
    public DateTime At { get; init; }
    public string Source { get; init; } = "";
    public string What { get; init; } = "";
    public string? Actor { get; init; }
    public string? Detail { get; init; }

    /// <summary>A status change (source voucher_events): the state before (null: created in <see cref="ToStatus"/>) and after.</summary>
    public string? FromStatus { get; init; }

    public string? ToStatus { get; init; }
}

public sealed class CodeCount
{
    public short Code { get; init; }
    public int Lines { get; init; }
    public long Fen { get; init; }
}

/// <summary>One issuance-list line with its outcome. Personal fields are raw here; pages mask them.</summary>
public sealed class LineRow
{
    public long VoucherId { get; init; }
    public string VoucherNo { get; init; } = "";
    public string AdmDivCode { get; init; } = "";
    public DateOnly BusinessDate { get; init; }
    public int RowNo { get; init; }
    public string SeqNo { get; init; } = "";
    public string Name { get; init; } = "";
    public string IdNumber { get; init; } = "";
    public string AccountNo { get; init; } = "";
    public string SubsidyName { get; init; } = "";
    public string Period { get; init; } = "";
    public string AmountText { get; init; } = "";
    public long? AmountFen { get; init; }
    public short? Code { get; init; }
    public long? JournalId { get; init; }
    public DateTime? PostedAt { get; init; }
    public string OrigVoucherNo { get; init; } = "";
    public string OrigSeqNo { get; init; } = "";
}

public sealed class OutboundFileRow
{
    public string FileName { get; init; } = "";
    public string Kind { get; init; } = "";
    public string Sm3 { get; init; } = "";
    public long SizeBytes { get; init; }
    public string ArchivePath { get; init; } = "";
    public DateTime CreatedAt { get; init; }

    /// <summary>Whether the archived copy still has its .sig beside it (每个发出的文件都由本行签名).</summary>
    public bool SignaturePresent => File.Exists(ArchivePath + ".sig");
}

public sealed class DeliveryRow
{
    public long Id { get; init; }
    public string AdmDivCode { get; init; } = "";
    public string VoucherNo { get; init; } = "";
    public string VoucherFile { get; init; } = "";
    public string? DetailFile { get; init; }
    public DeliveryOutcome Outcome { get; init; } = null!;
    public string? RejectCode { get; init; }
    public string? RejectDetail { get; init; }
    public long? VoucherId { get; init; }
    public DateTime ReceivedAt { get; init; }
    public string ContentSm3 { get; init; } = "";
}

/// <summary>A 补发 link: a line of one voucher re-issuing a failed line of another.</summary>
public sealed class ReissueLink
{
    public long ReissueVoucherId { get; init; }
    public string ReissueVoucherNo { get; init; } = "";
    public string ReissueSeqNo { get; init; } = "";
    public string OrigVoucherNo { get; init; } = "";
    public string OrigSeqNo { get; init; } = "";
    public long? OrigVoucherId { get; init; }
    public short? OrigFailureCode { get; init; }
}

public sealed class AuditRow
{
    public long Id { get; init; }
    public DateTime At { get; init; }
    public string Actor { get; init; } = "";
    public string Action { get; init; } = "";
    public string? Subject { get; init; }
    public string? Detail { get; init; }
}

public sealed class ChannelRow
{
    public string AdmDivCode { get; init; } = "";
    public string Kind { get; init; } = "";
    public DateTime? LastPollAt { get; init; }
    public string? LastError { get; init; }
}

public sealed class RiskRow
{
    public string Kind { get; init; } = "";
    public long? VoucherId { get; init; }
    public string Subject { get; init; } = "";
    public DateOnly? Day { get; init; }
    public string Detail { get; init; } = "";
    /// <summary>Set on a quarantine row: what an operator releases.</summary>
    public long? QuarantineId { get; init; }
}

/// <summary>The overview page in one object.</summary>
public sealed class Overview
{
    public IReadOnlyList<BureauDay> Days { get; init; } = [];
    public IReadOnlyList<VoucherRow> Active { get; init; } = [];
    public IReadOnlyList<VoucherRow> ReturnsDue { get; init; } = [];
    public IReadOnlyList<RiskRow> Risks { get; init; } = [];
    public IReadOnlyList<ChannelRow> Channels { get; init; } = [];
    public long LinesLastHour { get; init; }
    public long LinesLast5Minutes { get; init; }
    public DateTime At { get; init; }
    public SmsTile Sms { get; init; } = new();
}

/// <summary>SMS notices (contract §16) on the overview: pending, sent, failed attempts, the oldest pending notice's creation time.</summary>
public sealed class SmsTile
{
    public long Pending { get; init; }
    public long Sent { get; init; }
    public long FailedAttempts { get; init; }
    public DateTime? OldestPending { get; init; }
}

/// <summary>The small JSON the pages poll: state counts and the progress of the vouchers on screen.</summary>
public sealed record SummaryJson(string At, IReadOnlyDictionary<string, long> Counts, IReadOnlyList<SummaryVoucher> Vouchers);

public sealed record SummaryVoucher(long Id, string VoucherNo, string Status, string StatusLabel, int ChunksDone, int ChunkCount,
    int PaidCount, string Paid, int FailedCount, string Failed);
