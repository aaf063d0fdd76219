using BankGateway.Domain.Text;
using System.Text;
using NUnit.Framework;
using BankGateway.Domain;
using BankGateway.Domain.Catalogue;
using BankGateway.Domain.Codes;
using BankGateway.Domain.Validation;
using BankGateway.Domain.Vouchers;
using BankGateway.Files.Formats;
using BankGateway.Files.Signing;
using BankGateway.Worker.Samples;

namespace BankGateway.Pipeline.Tests.Samples;

/// <summary>
/// Keeps <c>interface-samples/</c> equal to what <see cref="SampleSetGenerator"/> writes, and checks that its
/// expected outcomes follow the contract's rules. Run with <c>BANKGATEWAY_REGENERATE_SAMPLES=1</c> to rewrite the
/// committed samples (keys are reused, or made when <c>interface-samples/keys</c> is empty).
/// </summary>
[TestFixture]
public sealed class SampleSetTests
{
    private const string RegenerateVariable = "BANKGATEWAY_REGENERATE_SAMPLES";
    private const string R01VoucherNo = "ZF2024000201";

    private static string SamplesDir => Path.Combine(RepoRoot(), "interface-samples");

    [Test]
    [Order(1)] // first, so that a regeneration run checks the fresh files in the other tests
    public void Samples_on_disk_match_the_generator()
    {
        string samples = SamplesDir;
        if (Environment.GetEnvironmentVariable(RegenerateVariable) == "1")
        {
            var (f, b, o) = LoadOrMakeKeys(Path.Combine(samples, SampleSetGenerator.KeysFolder));
            SampleSetGenerator.Generate(samples, f, bankKey: b, otherKey: o);
        }

        var (finance, bank, other) = LoadKeys(Path.Combine(samples, SampleSetGenerator.KeysFolder));
        using var temp = new TempDir();
        SampleSetGenerator.Generate(temp.Path, finance, bankKey: bank, otherKey: other);

        var committed = RelativeFiles(samples).Where(f => f is not ("README.md" or ".gitattributes")).ToList();
        var generated = RelativeFiles(temp.Path).ToList();
        Assert.That(committed, Is.EqualTo(generated), $"interface-samples/ lists other files than the generator writes; regenerate with {RegenerateVariable}=1");

        using (Assert.EnterMultipleScope())
        {
            foreach (var rel in committed.Where(f => !f.EndsWith(".sig", StringComparison.Ordinal)))
            {
                bool same = File.ReadAllBytes(Path.Combine(samples, rel)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(temp.Path, rel)));
                Assert.That(same, Is.True, $"interface-samples/{rel} differs from the generator's; regenerate with {RegenerateVariable}=1");
            }
            foreach (var rel in committed.Where(f => f.EndsWith(".sig", StringComparison.Ordinal)))
            {
                string signed = Path.Combine(samples, rel[..^4]);
                bool r01 = rel.Contains(R01VoucherNo, StringComparison.Ordinal);
                Assert.That(SignatureFile.Verify(signed, (r01 ? other : finance).PublicKey).IsValid, Is.True, $"{rel} does not verify");
                if (r01)
                    Assert.That(SignatureFile.Verify(signed, finance.PublicKey).IsValid, Is.False, $"{rel} must not verify with the finance key");
            }
            // The identical re-delivery must be the very same bytes, signature included.
            foreach (var rel in committed.Where(f => f.StartsWith(SampleSetGenerator.IdenticalFolder + "/", StringComparison.Ordinal)))
            {
                string original = Path.Combine(samples, SampleSetGenerator.InboxFolder, Path.GetFileName(rel));
                Assert.That(File.ReadAllBytes(Path.Combine(samples, rel)).AsSpan().SequenceEqual(File.ReadAllBytes(original)), Is.True, $"{rel} is not a copy of {original}");
            }
        }
    }

    [Test]
    public void Generator_is_deterministic_for_a_seed_and_orders_arrivals()
    {
        var key = Sm2KeyGenerator.Generate();
        using var a = new TempDir();
        using var b = new TempDir();
        var set = SampleSetGenerator.Generate(a.Path, key, seed: 7, bankKey: key, otherKey: key);
        SampleSetGenerator.Generate(b.Path, key, seed: 7, bankKey: key, otherKey: key);

        var files = RelativeFiles(a.Path).Where(f => !f.EndsWith(".sig", StringComparison.Ordinal)).ToList();
        using (Assert.EnterMultipleScope())
        {
            foreach (var rel in files)
                Assert.That(File.ReadAllBytes(Path.Combine(a.Path, rel)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(b.Path, rel))), Is.True, rel);
            var order = Directory.GetFiles(set.Inbox, "PV_*.xml")
                .OrderBy(File.GetLastWriteTimeUtc).ThenBy(f => f, StringComparer.Ordinal)
                .Select(Path.GetFileName).ToList();
            var expected = SampleSetGenerator.Arrivals.Where(x => x.Folder == SampleSetGenerator.InboxFolder)
                .Select(x => FileNames.Voucher(SampleSetGenerator.AdmDivCode, x.VoucherNo)).ToList();
            Assert.That(order, Is.EqualTo(expected));
        }
    }

    [Test]
    public void Gb18030_sample_is_not_utf8_and_quotes_a_comma()
    {
        string path = Path.Combine(SamplesDir, SampleSetGenerator.InboxFolder, "QC_522726_ZF2024000125.csv");
        byte[] bytes = File.ReadAllBytes(path);
        var strictUtf8 = new UTF8Encoding(false, throwOnInvalidBytes: true);
        Assert.That(() => strictUtf8.GetString(bytes), Throws.InstanceOf<DecoderFallbackException>());

        using var reader = new IssuanceListReader(new MemoryStream(bytes), DetailEncoding.Gb18030, Path.GetFileName(path));
        var lines = reader.ReadLines().ToList();
        Assert.That(lines, Has.Count.EqualTo(10));
        Assert.That(lines.Select(l => l.Remark), Has.Some.Contains(","));
        Assert.That(lines.Select(l => l.Name), Has.Some.EqualTo("韦䶮"));
    }

    /// <summary>
    /// A plain in-memory reading of contract §5 applied to the committed samples in processing order
    /// must give exactly <c>expected/outcomes.csv</c> and <c>expected/rejections.csv</c>.
    /// </summary>
    [Test]
    public void Expected_outcomes_follow_the_contract_rules()
    {
        string samples = SamplesDir;
        var financePub = Sm2PublicKey.Load(Path.Combine(samples, "keys", "finance_public.pem"));
        var catalogue = new SubsidyCatalogue(ReadCatalogue(Path.Combine(samples, "catalogue.csv")));
        var accounts = new Dictionary<string, AccountHolder>(StringComparer.Ordinal);
        ImportAccounts(Path.Combine(samples, "accounts.csv"), accounts);

        var outcomes = new StringBuilder("凭证号,序号,状态,失败代码\r\n");
        var rejections = new StringBuilder("凭证号,代码\r\n");
        var received = new Dictionary<string, string>(StringComparer.Ordinal);
        var paid = new HashSet<(string Dept, string Subsidy, string Period, string Id)>();
        bool fixImported = false;

        foreach (var (folder, voucherNo, _) in SampleSetGenerator.Arrivals)
        {
            if (folder == SampleSetGenerator.ReissueFolder && !fixImported)
            {
                ImportAccounts(Path.Combine(samples, "accounts-fix.csv"), accounts);
                fixImported = true;
            }
            string dir = Path.Combine(samples, folder);
            string xmlPath = Path.Combine(dir, FileNames.Voucher(SampleSetGenerator.AdmDivCode, voucherNo));
            var (code, results) = Process(xmlPath, dir, financePub, catalogue, accounts, received, paid);
            if (code != RejectCode.None)
                rejections.Append($"{voucherNo},{code}\r\n");
            foreach (var (seq, failure) in results)
                outcomes.Append($"{voucherNo},{seq},{(failure == FailureCode.None ? "成功" : "失败")},{(failure == FailureCode.None ? "" : failure.ToString())}\r\n");
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(outcomes.ToString(), Is.EqualTo(File.ReadAllText(Path.Combine(samples, "expected", "outcomes.csv"))));
            Assert.That(rejections.ToString(), Is.EqualTo(File.ReadAllText(Path.Combine(samples, "expected", "rejections.csv"))));
        }
    }

    private static (RejectCode, List<(string Seq, FailureCode Code)>) Process(string xmlPath, string dir, Sm2PublicKey financePub,
        SubsidyCatalogue catalogue, Dictionary<string, AccountHolder> accounts, Dictionary<string, string> received,
        HashSet<(string, string, string, string)> paid)
    {
        var none = new List<(string, FailureCode)>();
        if (!SignatureFile.Verify(xmlPath, financePub).IsValid) return (RejectCode.R01, none);
        VoucherReadResult read;
        using (var s = File.OpenRead(xmlPath))
            read = VoucherXml.Read(s, Path.GetFileName(xmlPath));
        if (!read.IsValid) return (RejectCode.R05, none);
        var v = read.Voucher;
        string detailPath = Path.Combine(dir, v.DetailFile);
        if (Sm3.HashFileHex(detailPath) != v.DetailFileSm3) return (RejectCode.R02, none);

        string content = Sm3.HashFileHex(xmlPath) + v.DetailFileSm3;
        if (received.TryGetValue(v.VoucherNo, out var before))
            return (before == content ? RejectCode.None : RejectCode.R04, none); // identical: acknowledged, nothing new
        received[v.VoucherNo] = content;

        List<IssuanceLine> lines;
        try
        {
            using var reader = new IssuanceListReader(File.OpenRead(detailPath), v.DetailEncoding, v.DetailFile);
            lines = reader.ReadLines().ToList();
        }
        catch (FileFormatException)
        {
            return (RejectCode.R06, none);
        }
        long sum = lines.Sum(l => ReportedAmount.Fen(l.Amount) ?? 0);
        if (lines.Count != v.DetailCount || sum != v.PayAmt.Fen) return (RejectCode.R03, none);
        var entry = catalogue.Find(v.StYear, v.DeptName, v.SubsidyName);
        if (entry is null) return (RejectCode.R07, none);

        var results = new List<(string, FailureCode)>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var paidNow = new List<(string, string, string, string)>();
        foreach (var line in lines)
        {
            var code = LineFieldChecks.Check(line, v, entry).Code;
            string id = line.IdNumber.ToUpperInvariant();
            if (code == FailureCode.None && !seen.Add(id)) code = FailureCode.F06;
            var key = (v.DeptName, v.SubsidyName, v.Period, id);
            if (code == FailureCode.None && paid.Contains(key)) code = FailureCode.F07;
            if (code == FailureCode.None) code = ExpectedAccountCheck(line.Name, line.IdNumber, accounts.GetValueOrDefault(line.AccountNo));
            if (code == FailureCode.None) paidNow.Add(key);
            results.Add((line.SeqNo, code));
        }
        paid.UnionWith(paidNow);
        return (RejectCode.None, results);
    }

    // The test's own model of F08–F15 (the product's one home is PostingSql.ChunkHead): canonical name and ID compare.
    private static FailureCode ExpectedAccountCheck(string lineName, string lineId, AccountHolder? account)
    {
        if (account is null) return FailureCode.F08;
        if (CanonicalText.Of(lineName) != CanonicalText.Of(account.HolderName)) return FailureCode.F09;
        if (CanonicalText.IdNumber(lineId) != CanonicalText.IdNumber(account.IdNumber)) return FailureCode.F10;
        return account.Status switch
        {
            AccountStatus.Normal => FailureCode.None,
            AccountStatus.Closed => FailureCode.F11,
            AccountStatus.Frozen => FailureCode.F12,
            AccountStatus.Dormant => FailureCode.F13,
            AccountStatus.Inactive => FailureCode.F14,
            AccountStatus.Lost => FailureCode.F15,
            _ => throw new ArgumentOutOfRangeException(nameof(account)),
        };
    }

    private static IEnumerable<CatalogueEntry> ReadCatalogue(string path) =>
        CatalogueCsv.Read(File.OpenRead(path), Path.GetFileName(path)).Select(r => r.Entry).ToList();

    private static void ImportAccounts(string path, Dictionary<string, AccountHolder> accounts)
    {
        foreach (var row in AccountMasterCsv.Read(File.OpenRead(path), Path.GetFileName(path)))
            accounts[row.AccountNo] = new AccountHolder(row.AccountNo, row.HolderName, row.IdNumber, row.Status);
    }

    private static (Sm2PrivateKey Finance, Sm2PrivateKey Bank, Sm2PrivateKey Other) LoadOrMakeKeys(string keysDir)
    {
        if (Directory.Exists(keysDir) && Directory.EnumerateFileSystemEntries(keysDir).Any())
            return LoadKeys(keysDir);
        return (Sm2KeyGenerator.Generate(), Sm2KeyGenerator.Generate(), Sm2KeyGenerator.Generate());
    }

    private static (Sm2PrivateKey Finance, Sm2PrivateKey Bank, Sm2PrivateKey Other) LoadKeys(string keysDir) =>
        (Sm2PrivateKey.Load(Path.Combine(keysDir, "finance_private.pem")),
         Sm2PrivateKey.Load(Path.Combine(keysDir, "bank_private.pem")),
         Sm2PrivateKey.Load(Path.Combine(keysDir, "other_private.pem")));

    private static IEnumerable<string> RelativeFiles(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal);

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "BankGateway.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no BankGateway.sln above {TestContext.CurrentContext.TestDirectory}");
    }

    private sealed class TempDir : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "bg-samples-" + Guid.NewGuid().ToString("N")[..8]);

        public void Dispose()
        {
            if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
        }
    }
}
