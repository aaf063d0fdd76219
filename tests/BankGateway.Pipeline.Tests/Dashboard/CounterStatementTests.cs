using BankGateway.Worker.Hosting;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using BankGateway.Domain;
using BankGateway.Domain.Identity;
using BankGateway.Domain.Statements;
using BankGateway.Files.Formats;
using BankGateway.Files.Signing;
using BankGateway.Pipeline.Tests.Pipeline;
using BankGateway.Testing.Postgres;
using BankGateway.Testing.Vouchers;
using BankGateway.Worker.Dashboard;
using BankGateway.Worker.Intake;
using BankGateway.Worker.MasterData;
using BankGateway.Worker.Notices;
using BankGateway.Worker.Returns;
using Microsoft.Playwright;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Dashboard;

/// <summary>
/// Counter statement (柜台查询/打印, contract §16), the 明白条 download page and the SMS tile, driven in headless
/// Debian Chromium against the real pages. One person is paid twice (2024-09 and 2024-08) and then fails F07
/// (already paid for 2024-09) in a third voucher, whose return is executed.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class CounterStatementTests
{
    private const string Password = "correct horse battery staple";
    private const string ChromiumPath = "/usr/bin/chromium";
    private const string BankName = "Test Bank 独山支行";
    private const long Person = 300_002;
    private static readonly DateOnly BusinessDate = new(2024, 9, 30);
    private static readonly Regex FullIdNumber = new(@"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])");
    private static readonly Regex FullAccountNumber = new(@"(?<![0-9A-Za-z])\d{16,19}(?![0-9A-Za-z])");

    private DashboardServer _server = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;
    private readonly List<IBrowserContext> _contexts = [];
    private Sm2PrivateKey _financeKey = null!;

    private static string Id => LargeVoucher.IdNumber(Person);
    private static string Yuan(long fen) => new Money(fen).ToDisplayString();

    [OneTimeSetUp]
    public async Task Start()
    {
        Assume.That(File.Exists(ChromiumPath), $"Debian chromium is required at {ChromiumPath} (apt-get install chromium)");
        var server = await TestDatabase.GetSharedAsync();
        string connectionString = await server.CreateDatabaseAsync(GetType());
        _server = await DashboardServer.StartAsync(connectionString, new Dictionary<string, string?> { ["Gateway:Dashboard:BankName"] = BankName });

        // The committed sample day (SMS notices wait: no platform URL), then three vouchers for the same three people.
        string samples = SampleFiles.CopyTo(_server.Work);
        await _server.Get<CatalogueImport>().ImportAsync(Path.Combine(samples, "catalogue.csv"), CancellationToken.None);
        await _server.Get<AccountMaster>().ImportAsync(Path.Combine(samples, "accounts.csv"), null, CancellationToken.None);
        await _server.Get<LocalPipeline>().RunOnceAsync(Path.Combine(samples, "inbox"), _server.Outbox, _ => SampleFiles.FinancePublic, BusinessDate, null, CancellationToken.None);
        await _server.Get<AccountMaster>().ImportAsync(Path.Combine(samples, "accounts-fix.csv"), null, CancellationToken.None);
        await _server.Get<LocalPipeline>().RunOnceAsync(Path.Combine(samples, "inbox-reissue"), _server.Outbox, _ => SampleFiles.FinancePublic, BusinessDate, null, CancellationToken.None);
        _financeKey = Sm2PrivateKey.Load(SampleFiles.Key("finance_private.pem"));
        await RunVoucherAsync("ZF2024910001", "2024-09", importAccounts: true);
        await RunVoucherAsync("ZF2024910002", "2024-08", importAccounts: false);
        await RunVoucherAsync("ZF2024910003", "2024-09", importAccounts: false);
        await _server.Get<ReturnService>().RunAsync(new DateOnly(2024, 10, 8), _server.Outbox, "test", CancellationToken.None);
        await _server.Get<BeneficiaryStatements>().RunAsync(StatementPeriod.Quarter(2024, 3), Path.Combine(_server.Work, "mb"), CancellationToken.None);

        var users = _server.Get<UserStore>();
        await users.AddOrUpdateAsync("op", Roles.Operator, Password, "test", CancellationToken.None);
        await users.AddOrUpdateAsync("reader", Roles.Viewer, Password, "test", CancellationToken.None);

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"],
        });
    }

    /// <summary>Three lines (people 300001–300003) for 低保 of <paramref name="period"/>: list and voucher re-signed when the period differs.</summary>
    private async Task RunVoucherAsync(string voucherNo, string period, bool importAccounts)
    {
        string inbox = Path.Combine(_server.Work, voucherNo);
        var built = LargeVoucher.Write(inbox, Path.Combine(_server.Work, voucherNo + "-data"), 3, _financeKey, voucherNo, accountMultiple: 1, firstAccount: Person - 1);
        if (period != LargeVoucher.Period)
        {
            string list = File.ReadAllText(built.DetailPath).Replace("," + LargeVoucher.Period + ",", "," + period + ",", StringComparison.Ordinal);
            File.WriteAllText(built.DetailPath, list, new UTF8Encoding(false));
            var voucher = built.Voucher with { Period = period, DetailFileSm3 = Sm3.HashFileHex(built.DetailPath) };
            using (var stream = File.Create(built.VoucherPath)) VoucherXml.Write(voucher, stream);
            SignatureFile.Write(built.VoucherPath, _financeKey);
        }
        if (importAccounts) await _server.Get<AccountMaster>().ImportAsync(built.AccountsPath, null, CancellationToken.None);
        await _server.Get<LocalPipeline>().RunOnceAsync(inbox, _server.Outbox, _ => SampleFiles.FinancePublic, BusinessDate, null, CancellationToken.None);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        foreach (var c in _contexts) await c.DisposeAsync();
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        if (_server is not null) await _server.DisposeAsync();
    }

    private async Task<IPage> LoginAsync(string user)
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = _server.BaseUrl,
            ViewportSize = new ViewportSize { Width = 1440, Height = 900 },
            Locale = "zh-CN",
            AcceptDownloads = true,
        });
        context.SetDefaultTimeout(90_000);
        context.SetDefaultNavigationTimeout(90_000);
        _contexts.Add(context);
        var page = await context.NewPageAsync();
        await page.OpenAsync("/login");
        await page.FillAsync("input[name=name]", user);
        await page.FillAsync("input[type=password]", Password);
        await page.ClickAsync("form button[type=submit]");
        await page.WaitForPageAsync(url => !url.Contains("/login", StringComparison.Ordinal));
        return page;
    }

    private async Task QueryAsync(IPage page, string kind, string value)
    {
        await page.OpenAsync("/statement");
        await page.SelectOptionAsync("#statement-query select[name=kind]", kind);
        await page.FillAsync("#statement-value", value);
        await page.ClickAsync("#statement-query button[type=submit]");
        await page.WaitForSelectorAsync("#statement-entries");
    }

    private static void AssertNoFullNumbers(string text, string where)
    {
        Assert.That(FullIdNumber.IsMatch(text), Is.False, $"{where}: no full ID number");
        Assert.That(FullAccountNumber.IsMatch(text), Is.False, $"{where}: no full account number");
    }

    private Task<long> AuditCountAsync(string action, string actor) =>
        _server.ScalarAsync<long>("select count(*) from audit_log where action = @action and actor = @actor", new { action, actor });

    [Test, Order(1)]
    public async Task Viewer_queries_a_person_sees_the_masked_history_with_totals_and_prints_it_to_a_one_page_pdf()
    {
        var page = await LoginAsync("reader");
        await QueryAsync(page, "id", Id);
        Assert.That(page.Url, Does.Not.Contain(Id), "the number never travels in a URL");

        long credit = LargeVoucher.AmountFen(Person);
        string entries = await page.InnerTextAsync("#statement-entries");
        Assert.That(Regex.Count(entries, "入账成功"), Is.EqualTo(2), entries);
        Assert.That(entries, Does.Contain("ZF2024910001").And.Contain("ZF2024910002").And.Contain("ZF2024910003"));
        Assert.That(entries, Does.Contain("2024-08").And.Contain("2024-09"), "periods");
        Assert.That(entries, Does.Contain("F07 重复发放"), "the failure with its code and reason");
        Assert.That(entries, Does.Contain("已退回 2"), "the executed return with its date");
        Assert.That(entries, Does.Contain("BG20240930 "), "the credits' bank journal references");
        Assert.That(entries, Does.Contain(LargeVoucher.DeptName).And.Contain("522726"));
        string totals = await page.InnerTextAsync("#statement-totals");
        Assert.That(totals, Does.Contain("2024").And.Contain(LargeVoucher.SubsidyName).And.Contain(Yuan(2 * credit)));
        Assert.That(await page.InnerTextAsync("#statement-total"), Is.EqualTo(Yuan(2 * credit)));
        string holder = await page.InnerTextAsync("#statement-holder");
        Assert.That(holder, Does.Contain(TailMask.KeepLast4(Id)).And.Contain(PersonalDataMask.Name(LargeVoucher.Name(Person))));
        Assert.That(holder, Does.Not.Contain(LargeVoucher.Name(Person)));
        AssertNoFullNumbers(await page.ContentAsync(), "statement page");
        Assert.That(await page.Locator("#statement-reveal").CountAsync(), Is.Zero, "a viewer is offered no reveal");

        await page.ClickAsync("#statement-print button[type=submit]");
        await page.WaitForSelectorAsync("#print-now");
        // The print view's button prints (window.print, from the page's own script: no inline script under the CSP).
        await page.EvaluateAsync("() => { window.__printed = 0; window.print = () => { window.__printed++; }; }");
        await page.ClickAsync("#print-now");
        Assert.That(await page.EvaluateAsync<int>("() => window.__printed"), Is.EqualTo(1));
        AssertNoFullNumbers(await page.ContentAsync(), "print view");
        string pdfPath = Path.Combine(_server.Work, "statement.pdf");
        await page.PdfAsync(new PagePdfOptions { Path = pdfPath, PrintBackground = false });
        string text = PdfText(pdfPath, out int pages);
        TestContext.Out.WriteLine(text);
        Assert.That(pages, Is.EqualTo(1), "one page");
        Assert.That(text, Does.Contain("Test Bank"), "the bank's name from Gateway:Dashboard:BankName");
        Assert.That(text, Does.Contain(TailMask.KeepLast4(Id)), "the masked ID");
        Assert.That(text, Does.Contain(Yuan(2 * credit)), "the total of the credits");
        Assert.That(text, Does.Contain("ZF2024910003").And.Contain("F07"));
        string today = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        Assert.That(text, Does.Contain(today), "the print date in China time");
        Assert.That(text, Does.Not.Contain("退出"), "no navigation printed");
        AssertNoFullNumbers(text, "printed statement");
        if (HasCjkFont()) Assert.That(text, Does.Contain("补贴资金发放对账单").And.Contain(LargeVoucher.SubsidyName));

        string subject = "id:" + TailMask.KeepLast4(Id);
        Assert.That(await AuditCountAsync("statement.query", "reader"), Is.EqualTo(1));
        Assert.That(await AuditCountAsync("statement.print", "reader"), Is.EqualTo(1));
        Assert.That(await _server.ScalarAsync<long>("select count(*) from audit_log where action like 'statement.%' and subject = @subject", new { subject }), Is.EqualTo(2));
        Assert.That(await _server.ScalarAsync<long>("select count(*) from audit_log where subject like @id or detail like @id", new { id = "%" + Id + "%" }), Is.Zero,
            "the audit never holds the full ID");
    }

    [Test, Order(2)]
    public async Task Operator_reveals_by_account_with_the_confirm_box_and_a_viewer_cannot()
    {
        var page = await LoginAsync("op");
        await QueryAsync(page, "account", LargeVoucher.Account(Person));
        Assert.That(await page.InnerTextAsync("#statement-entries"), Does.Contain("F07"));
        AssertNoFullNumbers(await page.ContentAsync(), "masked by account");
        await page.CheckAsync("#statement-reveal input[name=confirm]");
        await page.ClickAsync("#statement-reveal button[type=submit]");
        await page.WaitForSelectorAsync("#statement-entries");
        Assert.That(await page.InnerTextAsync("#statement-holder"), Does.Contain(Id).And.Contain(LargeVoucher.Name(Person)));
        Assert.That(await AuditCountAsync("statement.reveal", "op"), Is.EqualTo(1));

        // 潘明坤 of the sample day: paid by ZF2024000123, F07 in ZF2024000124 line 12, re-issued by ZF2024000301 line 2 (F07 again).
        await QueryAsync(page, "id", "522726199503168355");
        string sample = await page.InnerTextAsync("#statement-entries");
        Assert.That(sample, Does.Contain("ZF2024000123").And.Contain("331.00"));
        Assert.That(sample, Does.Contain("已由 ZF2024000301 序号 2 补发"), "the failed line links to its re-issue");
        Assert.That(sample, Does.Contain("补发原凭证 ZF2024000124 序号 12"), "the re-issue links to the line it re-issues");
        Assert.That(Regex.Count(sample, "F07 重复发放"), Is.EqualTo(2));
        Assert.That(await page.InnerTextAsync("#statement-total"), Is.EqualTo("331.00"));

        // The viewer's POST to the reveal handler is refused by the server, whatever it carries.
        var reader = await LoginAsync("reader");
        await QueryAsync(reader, "id", Id);
        var form = reader.Context.APIRequest.CreateFormData();
        form.Set("__af", await reader.InputValueAsync("#statement-print input[name=__af]"));
        form.Set("q", await reader.InputValueAsync("#statement-print input[name=q]"));
        form.Set("confirm", "true");
        var response = await reader.Context.APIRequest.PostAsync("/statement?handler=Reveal", new APIRequestContextOptions { Form = form, MaxRedirects = 0 });
        Assert.That(response.Status, Is.EqualTo(403));
        Assert.That(await response.TextAsync(), Does.Not.Contain(Id));
        Assert.That(await AuditCountAsync("statement.reveal", "reader"), Is.Zero);
    }

    [Test, Order(3)]
    public async Task A_number_in_the_url_reveals_nothing_and_a_post_without_antiforgery_is_refused()
    {
        var page = await LoginAsync("reader");
        long before = await _server.ScalarAsync<long>("select count(*) from audit_log where action like 'statement.%'");
        foreach (var url in new[] { $"/statement?kind=id&value={Id}", $"/statement?id={Id}", $"/statement?handler=Print&value={Id}" })
        {
            var get = await page.Context.APIRequest.GetAsync(url, new APIRequestContextOptions { MaxRedirects = 0 });
            Assert.That(get.Status, Is.EqualTo(200), url);
            string html = await get.TextAsync();
            Assert.That(html, Does.Not.Contain("statement-entries").And.Not.Contain(TailMask.KeepLast4(Id)), url);
        }
        Assert.That(await _server.ScalarAsync<long>("select count(*) from audit_log where action like 'statement.%'"), Is.EqualTo(before), "a GET searches nothing");

        var anonymous = await _browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = _server.BaseUrl });
        _contexts.Add(anonymous);
        foreach (var path in new[] { "/statement", "/mb" })
        {
            var response = await anonymous.APIRequest.GetAsync(path, new APIRequestContextOptions { MaxRedirects = 0 });
            Assert.That(response.Status, Is.EqualTo(302), path + " needs a login");
        }

        var form = page.Context.APIRequest.CreateFormData();
        form.Set("kind", "id");
        form.Set("value", Id);
        var post = await page.Context.APIRequest.PostAsync("/statement", new APIRequestContextOptions { Form = form, MaxRedirects = 0 });
        Assert.That(post.Status, Is.EqualTo(400), "no antiforgery token");
        form.Set("__af", "forged-token");
        post = await page.Context.APIRequest.PostAsync("/statement", new APIRequestContextOptions { Form = form, MaxRedirects = 0 });
        Assert.That(post.Status, Is.EqualTo(400), "a forged antiforgery token");
        Assert.That(await _server.ScalarAsync<long>("select count(*) from audit_log where action like 'statement.%'"), Is.EqualTo(before));
    }

    [Test, Order(4)]
    public async Task Operator_downloads_a_checked_mb_file_a_tampered_one_is_refused_and_the_overview_shows_sms()
    {
        var page = await LoginAsync("op");
        await page.OpenAsync("/mb");
        string list = await page.InnerTextAsync("#mb-files");
        const string name = "MB_522726_2024Q3.csv";
        Assert.That(list, Does.Contain(name));
        string archive = await _server.ScalarAsync<string>("select archive_path from outbound_files where file_name = @name", new { name });

        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#mb-files tr", new() { HasText = name }).Locator("button[value=false]").ClickAsync());
        string saved = Path.Combine(_server.Work, "downloaded.csv");
        await download.SaveAsAsync(saved);
        Assert.That(download.SuggestedFilename, Is.EqualTo(name));
        Assert.That(await File.ReadAllBytesAsync(saved), Is.EqualTo(await File.ReadAllBytesAsync(archive)));
        Assert.That(await _server.ScalarAsync<long>("select count(*) from audit_log where action = 'mb.download' and actor = 'op' and subject = @s", new { s = "file:" + name }), Is.EqualTo(1));

        // The viewer sees the list but its download POST is refused.
        var reader = await LoginAsync("reader");
        await reader.OpenAsync("/mb");
        Assert.That(await reader.Locator("#mb-files button").CountAsync(), Is.Zero);
        var form = reader.Context.APIRequest.CreateFormData();
        form.Set("__af", await reader.InputValueAsync("header form input[name=__af]"));
        form.Set("name", name);
        form.Set("sig", "false");
        var refused = await reader.Context.APIRequest.PostAsync("/mb?handler=Download", new APIRequestContextOptions { Form = form, MaxRedirects = 0 });
        Assert.That(refused.Status, Is.EqualTo(403), "a viewer's download is refused by the server");

        await File.AppendAllTextAsync(archive, "篡改\n");
        await page.OpenAsync("/mb");
        await page.Locator("#mb-files tr", new() { HasText = name }).Locator("button[value=false]").ClickAsync();
        await page.WaitForSelectorAsync(".flash");
        Assert.That(await page.InnerTextAsync(".flash"), Does.Contain("校验不符"));
        Assert.That(await _server.ScalarAsync<long>("select count(*) from audit_log where action = 'mb.refused' and subject = @s", new { s = "file:" + name }), Is.EqualTo(1));

        await page.OpenAsync("/");
        string tile = await page.InnerTextAsync("#sms-tile");
        long pending = await _server.ScalarAsync<long>("select count(*) from sms_notices where state = 'PENDING'");
        Assert.That(pending, Is.GreaterThan(0), "the sample day's notices wait (no platform URL)");
        Assert.That(tile, Does.Contain("短信通知").And.Contain(pending.ToString("#,0", CultureInfo.InvariantCulture)).And.Contain("最早待发"));
    }

    /// <summary>The PDF's text by poppler's pdftotext (Debian poppler-utils), and its page count.</summary>
    private static string PdfText(string pdf, out int pages)
    {
        Assume.That(File.Exists("/usr/bin/pdftotext"), "pdftotext (apt-get install poppler-utils) is needed to read the printed PDF");
        using var p = Process.Start(new ProcessStartInfo("/usr/bin/pdftotext", ["-layout", "-enc", "UTF-8", pdf, "-"]) { RedirectStandardOutput = true })!;
        string text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        pages = text.Split('\f').Count(s => s.Trim().Length > 0);
        return text;
    }

    private static bool HasCjkFont()
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("fc-list", [":lang=zh"]) { RedirectStandardOutput = true })!;
            string output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return output.Trim().Length > 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
