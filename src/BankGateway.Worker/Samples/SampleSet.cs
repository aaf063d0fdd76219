namespace BankGateway.Worker.Samples;

/// <summary>
/// Where <see cref="SampleSetGenerator.Generate"/> put a sample set (every path absolute).
/// The folders are meant to be processed in this order: <see cref="Inbox"/>, <see cref="InboxIdentical"/>,
/// <see cref="InboxRedelivery"/>, then <c>accounts import</c> of <see cref="AccountsFixCsv"/>, then
/// <see cref="InboxReissue"/>, all with the business date <see cref="BusinessDate"/>.
/// </summary>
/// <param name="OutDir">The root of the set.</param>
/// <param name="Inbox">Sets ZF2024000123–126 (accepted) and ZF2024000201–207 (rejected), arrival times ascending.</param>
/// <param name="InboxIdentical">A byte-identical copy of the ZF2024000123 set: acknowledged again, never re-posted.</param>
/// <param name="InboxRedelivery">ZF2024000123 with different content: rejected R04.</param>
/// <param name="InboxReissue">The re-issue (补发) ZF2024000301 of two failed lines of ZF2024000124.</param>
/// <param name="CatalogueCsv">The 2024 catalogue (<c>catalogue import</c>).</param>
/// <param name="AccountsCsv">The account master (<c>accounts import</c>), before any voucher.</param>
/// <param name="AccountsFixCsv">The account opened after ZF2024000124 failed with F08, imported before the re-issue.</param>
/// <param name="ExpectedOutcomes"><c>凭证号,序号,状态,失败代码</c> for every line of every accepted voucher.</param>
/// <param name="ExpectedRejections"><c>凭证号,代码</c> for every rejected delivery.</param>
/// <param name="KeysDir">The test keys.</param>
/// <param name="FinancePrivateKey">The finance bureau's key the vouchers are signed with.</param>
/// <param name="FinancePublicKey">The channel's <c>FinancePublicKeyFile</c>.</param>
/// <param name="BankPrivateKey">The bank's key for <c>--bank-key</c>.</param>
/// <param name="BankPublicKey">To verify what the gateway signs.</param>
/// <param name="OtherPrivateKey">The wrong key ZF2024000201 (R01) is signed with.</param>
/// <param name="AdmDivCode">522726 (独山县).</param>
/// <param name="BusinessDate">2024-09-30.</param>
/// <param name="ReturnDate">2024-10-08: the next working day after the business date (National Day holiday in between).</param>
public sealed record SampleSet(
    string OutDir,
    string Inbox,
    string InboxIdentical,
    string InboxRedelivery,
    string InboxReissue,
    string CatalogueCsv,
    string AccountsCsv,
    string AccountsFixCsv,
    string ExpectedOutcomes,
    string ExpectedRejections,
    string KeysDir,
    string FinancePrivateKey,
    string FinancePublicKey,
    string BankPrivateKey,
    string BankPublicKey,
    string OtherPrivateKey,
    string AdmDivCode,
    DateOnly BusinessDate,
    DateOnly ReturnDate);
