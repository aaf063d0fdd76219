using System.Text;
using BankGateway.Files.Signing;

namespace BankGateway.Worker.Samples;

/// <summary>
/// Writes the interface sample set of 独山县 (AdmDivCode 522726), year 2024, business date 2024-09-30:
/// catalogue, account master, signed voucher sets that produce every outcome code of contract §5,
/// and the expected outcomes that are the oracle of the end-to-end tests.
/// </summary>
/// <remarks>
/// Deterministic: names, IDs, accounts and amounts come from <c>new Random(seed)</c>, no clock is read,
/// so every file except the <c>.sig</c> files (SM2 signing draws a fresh random k) is the same byte
/// for byte for the same seed and keys. The committed copy in <c>interface-samples/</c> is checked against
/// it by <c>SampleSetTests</c>, which also rewrites it when <c>BANKGATEWAY_REGENERATE_SAMPLES=1</c>.
/// </remarks>
public static partial class SampleSetGenerator
{
    /// <summary>独山县.</summary>
    public const string AdmDivCode = "522726";

    /// <summary>The vouchers' StYear.</summary>
    public const int StYear = SampleCatalogue.Year;

    /// <summary>The seed the committed samples are made with.</summary>
    public const int DefaultSeed = 20240930;

    /// <summary>Folder names inside the output folder.</summary>
    public const string InboxFolder = "inbox", IdenticalFolder = "inbox-identical", RedeliveryFolder = "inbox-redelivery",
        ReissueFolder = "inbox-reissue", ExpectedFolder = "expected", KeysFolder = "keys";

    /// <summary>The business date to process the samples with.</summary>
    public static readonly DateOnly BusinessDate = new(2024, 9, 30);

    /// <summary>Next working day after <see cref="BusinessDate"/> (2024-10-01..07 is the National Day holiday): returns fall due then.</summary>
    public static readonly DateOnly ReturnDate = new(2024, 10, 8);

    /// <summary>Arrival time of the first set (09:00 China time); the others follow at the minutes of <see cref="Arrivals"/>.</summary>
    public static readonly DateTime FirstArrivalUtc = new(2024, 9, 30, 1, 0, 0, DateTimeKind.Utc);

    /// <summary>
    /// Every voucher set with its folder and arrival (minutes after <see cref="FirstArrivalUtc"/>): the order the
    /// gateway takes them in. Git does not keep modification times; <see cref="SetArrivalTimes"/> puts them back.
    /// </summary>
    public static IReadOnlyList<(string Folder, string VoucherNo, int Minutes)> Arrivals { get; } =
    [
        (InboxFolder, "ZF2024000123", 0),
        (InboxFolder, "ZF2024000124", 5),
        (InboxFolder, "ZF2024000125", 10),
        (InboxFolder, "ZF2024000126", 15),
        (InboxFolder, "ZF2024000201", 20),
        (InboxFolder, "ZF2024000202", 25),
        (InboxFolder, "ZF2024000203", 30),
        (InboxFolder, "ZF2024000205", 35),
        (InboxFolder, "ZF2024000206", 40),
        (InboxFolder, "ZF2024000207", 45),
        (IdenticalFolder, "ZF2024000123", 60),
        (RedeliveryFolder, "ZF2024000123", 70),
        (ReissueFolder, "ZF2024000301", 120),
    ];

    /// <summary>
    /// Writes the sample set into <paramref name="outDir"/> (its generated folders are emptied first; other
    /// files such as a README are left alone).
    /// </summary>
    /// <param name="outDir">Destination folder; created when missing.</param>
    /// <param name="financeKey">The finance bureau's key every voucher is signed with (ZF2024000201 excepted).</param>
    /// <param name="seed">Seed of the names, IDs, accounts and amounts.</param>
    /// <param name="bankKey">The bank's key written to <c>keys/</c>; a fresh one when null.</param>
    /// <param name="otherKey">The wrong key of the R01 sample; a fresh one when null.</param>
    public static SampleSet Generate(string outDir, Sm2PrivateKey financeKey, int seed = DefaultSeed,
        Sm2PrivateKey? bankKey = null, Sm2PrivateKey? otherKey = null)
    {
        ArgumentNullException.ThrowIfNull(financeKey);
        outDir = Path.GetFullPath(outDir);
        Directory.CreateDirectory(outDir);
        foreach (var folder in new[] { InboxFolder, IdenticalFolder, RedeliveryFolder, ReissueFolder, ExpectedFolder })
        {
            string path = Path.Combine(outDir, folder);
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            Directory.CreateDirectory(path);
        }

        bankKey ??= Sm2KeyGenerator.Generate();
        otherKey ??= Sm2KeyGenerator.Generate();
        string keys = Path.Combine(outDir, KeysFolder);
        Directory.CreateDirectory(keys);
        var set = new SampleSet(
            OutDir: outDir,
            Inbox: Path.Combine(outDir, InboxFolder),
            InboxIdentical: Path.Combine(outDir, IdenticalFolder),
            InboxRedelivery: Path.Combine(outDir, RedeliveryFolder),
            InboxReissue: Path.Combine(outDir, ReissueFolder),
            CatalogueCsv: Path.Combine(outDir, "catalogue.csv"),
            AccountsCsv: Path.Combine(outDir, "accounts.csv"),
            AccountsFixCsv: Path.Combine(outDir, "accounts-fix.csv"),
            ExpectedOutcomes: Path.Combine(outDir, ExpectedFolder, "outcomes.csv"),
            ExpectedRejections: Path.Combine(outDir, ExpectedFolder, "rejections.csv"),
            KeysDir: keys,
            FinancePrivateKey: Path.Combine(keys, "finance_private.pem"),
            FinancePublicKey: Path.Combine(keys, "finance_public.pem"),
            BankPrivateKey: Path.Combine(keys, "bank_private.pem"),
            BankPublicKey: Path.Combine(keys, "bank_public.pem"),
            OtherPrivateKey: Path.Combine(keys, "other_private.pem"),
            AdmDivCode: AdmDivCode,
            BusinessDate: BusinessDate,
            ReturnDate: ReturnDate);

        KeyFiles.WritePrivate(set.FinancePrivateKey, financeKey.ToPkcs8Pem());
        WriteAscii(set.FinancePublicKey, financeKey.PublicKey.ToPem());
        KeyFiles.WritePrivate(set.BankPrivateKey, bankKey.ToPkcs8Pem());
        WriteAscii(set.BankPublicKey, bankKey.PublicKey.ToPem());
        KeyFiles.WritePrivate(set.OtherPrivateKey, otherKey.ToPkcs8Pem());

        new Builder(set, new SamplePeople(new Random(seed)), financeKey, otherKey).Run();
        SetArrivalTimes(outDir);
        return set;
    }

    /// <summary>
    /// Sets the modification time of every file of every voucher set under <paramref name="outDir"/> to its
    /// arrival (<see cref="Arrivals"/>), so that a copy checked out from git is taken in the intended order.
    /// </summary>
    public static void SetArrivalTimes(string outDir)
    {
        foreach (var (folder, voucherNo, minutes) in Arrivals)
        {
            string dir = Path.Combine(outDir, folder);
            if (!Directory.Exists(dir)) continue;
            var time = FirstArrivalUtc.AddMinutes(minutes);
            foreach (var file in Directory.EnumerateFiles(dir, $"*_{AdmDivCode}_{voucherNo}.*"))
                File.SetLastWriteTimeUtc(file, time);
        }
    }

    private static void WriteAscii(string path, string text) => File.WriteAllBytes(path, Encoding.ASCII.GetBytes(text));
}
