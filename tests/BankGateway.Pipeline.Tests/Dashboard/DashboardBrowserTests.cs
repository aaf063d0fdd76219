using BankGateway.Worker.Hosting;
using System.Diagnostics;
using System.Text.RegularExpressions;
using BankGateway.Domain.Codes;
using BankGateway.Files.Signing;
using BankGateway.Pipeline.Tests.Pipeline;
using BankGateway.Testing.Postgres;
using BankGateway.Testing.Vouchers;
using BankGateway.Worker.Dashboard;
using BankGateway.Worker.Intake;
using BankGateway.Worker.MasterData;
using BankGateway.Worker.Posting;
using BankGateway.Worker.Results;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Playwright;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Dashboard;

/// <summary>
/// The operators' dashboard driven in headless Debian Chromium (never a downloaded browser) against the
/// real pages, served in-process over a real PostgreSQL holding the committed sample day, a large
/// voucher posted while the browser watches, and a small voucher waiting to post.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class DashboardBrowserTests
{
    private const string Password = "correct horse battery staple";
    private const string ChromiumPath = "/usr/bin/chromium";
    private const int LargeLines = 100_000;
    private static readonly DateOnly BusinessDate = new(2024, 9, 30);
    private static readonly Regex FullIdNumber = new(@"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])");
    private static readonly Regex FullAccountNumber = new(@"(?<![0-9A-Za-z])\d{16,19}(?![0-9A-Za-z])");
    // Lines of the large voucher whose accounts are removed from the master: they fail F08.
    private static readonly long[] ClosedAccounts = [7, 70, 700];

    private DashboardServer _server = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;
    private string _connectionString = null!;
    private long _largeId;
    private long _smallId;
    private long _sampleId;
    private readonly List<IBrowserContext> _contexts = [];

    [OneTimeSetUp]
    public async Task StartDashboardAndBrowser()
    {
        Assume.That(File.Exists(ChromiumPath), $"Debian chromium is required at {ChromiumPath} (apt-get install chromium)");
        var server = await TestDatabase.GetSharedAsync();
        _connectionString = await server.CreateDatabaseAsync(GetType());
        _server = await DashboardServer.StartAsync(_connectionString);

        // The committed sample day: every F code, rejections, returns due 2024-10-08.
        string samples = SampleFiles.CopyTo(_server.Work);
        await _server.Get<CatalogueImport>().ImportAsync(Path.Combine(samples, "catalogue.csv"), CancellationToken.None);
        await _server.Get<AccountMaster>().ImportAsync(Path.Combine(samples, "accounts.csv"), null, CancellationToken.None);
        await _server.Get<LocalPipeline>().RunOnceAsync(Path.Combine(samples, "inbox"), _server.Outbox, _ => SampleFiles.FinancePublic, BusinessDate, null, CancellationToken.None);
        _sampleId = await _server.ScalarAsync<long>("select id from vouchers where voucher_no = 'ZF2024000123'");

        // A large voucher and a small one, taken in but not posted.
        var financeKey = Sm2PrivateKey.Load(SampleFiles.Key("finance_private.pem"));
        string largeInbox = Path.Combine(_server.Work, "large-in");
        var large = LargeVoucher.Write(largeInbox, Path.Combine(_server.Work, "large-data"), LargeLines, financeKey, "ZF2024900001", accountMultiple: 1);
        await _server.Get<AccountMaster>().ImportAsync(large.AccountsPath, null, CancellationToken.None);
        await _server.ExecuteAsync("delete from accounts where account_no = any(@accounts)", new { accounts = ClosedAccounts.Select(LargeVoucher.Account).ToArray() });
        string smallInbox = Path.Combine(_server.Work, "small-in");
        LargeVoucher.Write(smallInbox, Path.Combine(_server.Work, "small-data"), 20, financeKey, "ZF2024900002", accountMultiple: 1, firstAccount: 200_001);
        await TakeAsync(largeInbox);
        await TakeAsync(smallInbox);
        _largeId = await _server.ScalarAsync<long>("select id from vouchers where voucher_no = 'ZF2024900001'");
        _smallId = await _server.ScalarAsync<long>("select id from vouchers where voucher_no = 'ZF2024900002'");

        var users = _server.Get<UserStore>();
        await users.AddOrUpdateAsync("op", Roles.Operator, Password, "test", CancellationToken.None);
        await users.AddOrUpdateAsync("boss", Roles.Admin, Password, "test", CancellationToken.None);
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

    private async Task TakeAsync(string inbox)
    {
        var box = new LocalInbox(inbox, NullLogger.Instance, TimeSpan.FromMinutes(30), TimeProvider.System);
        foreach (var set in box.FindCompleteSets())
            await _server.Get<VoucherIntake>().TakeAsync(set, SampleFiles.FinancePublic, BusinessDate, CancellationToken.None);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        foreach (var c in _contexts) await c.DisposeAsync();
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        if (_server is not null) await _server.DisposeAsync();
    }

    private async Task<IBrowserContext> NewContextAsync()
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = _server.BaseUrl,
            ViewportSize = new ViewportSize { Width = 1440, Height = 900 },
            Locale = "zh-CN",
        });
        // CI runs the other test assemblies beside this one on 2 cores: give pages time rather than flake.
        context.SetDefaultTimeout(90_000);
        context.SetDefaultNavigationTimeout(90_000);
        _contexts.Add(context);
        return context;
    }

    private async Task<IPage> LoginAsync(string user)
    {
        var page = await (await NewContextAsync()).NewPageAsync();
        await page.OpenAsync("/login");
        await page.FillAsync("input[name=name]", user);
        await page.FillAsync("input[type=password]", Password);
        await page.ClickAsync("form button[type=submit]");
        await page.WaitForPageAsync(url => !url.Contains("/login", StringComparison.Ordinal));
        return page;
    }

    /// <summary>The large voucher posted and answered (idempotent: later tests call it again).</summary>
    private async Task EnsureLargePostedAsync()
    {
        await _server.Get<PostingEngine>().PostAsync(_largeId, null, CancellationToken.None);
        await _server.Get<VoucherResults>().WriteAsync(_largeId, _server.Outbox, CancellationToken.None);
    }

    private static async Task<string> TokenAsync(IPage page)
    {
        await page.OpenAsync("/lookup");
        return await page.InputValueAsync("input[name=__af]");
    }

    [Test, Order(1)]
    public async Task Operator_logs_in_and_sees_the_overview_with_amounts_in_yuan()
    {
        var page = await (await NewContextAsync()).NewPageAsync();
        await page.OpenAsync("/login");
        Assert.That(await page.Locator("input[type=password]").CountAsync(), Is.EqualTo(1), "login is an HTML form with a password field");
        await page.FillAsync("input[name=name]", "op");
        await page.FillAsync("input[type=password]", Password);
        await page.ClickAsync("form button[type=submit]");
        await page.WaitForPageAsync(url => url == _server.BaseUrl + "/");
        string text = await page.InnerTextAsync("main");
        Assert.That(text, Does.Contain("概览").And.Contain("按区划、业务日期汇总").And.Contain("522726"));
        Assert.That(text, Does.Contain("待退回").And.Contain("2024-10-08"), "returns due and their date");
        Assert.That(Regex.IsMatch(text, @"\d{1,3}(,\d{3})*\.\d{2}"), "amounts in yuan with two decimals");
        Assert.That(await page.Locator("#active-vouchers progress").CountAsync(), Is.GreaterThan(0), "a progress bar per voucher");
    }

    [Test, Order(2)]
    public async Task Progress_bar_moves_while_a_large_voucher_posts_until_it_is_completed()
    {
        var page = await LoginAsync("op");
        await page.OpenAsync($"/vouchers/{_largeId}");
        var bar = page.Locator($"section.current progress[data-voucher='{_largeId}']");
        var state = page.Locator("h1 [data-field=status]");
        Assert.That(await state.InnerTextAsync(), Is.EqualTo("已接收"));
        Assert.That(await bar.GetAttributeAsync("max"), Is.EqualTo("100"), "100 chunks of 1,000 lines");

        // Each committed chunk pauses a moment, so a 1-second poll sees the bar between chunks.
        var posting = Task.Run(() => _server.Get<PostingEngine>().PostAsync(_largeId, new SlowProgress(TimeSpan.FromMilliseconds(40)), CancellationToken.None));
        var seen = new List<double>();
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(90))
        {
            seen.Add(await bar.EvaluateAsync<double>("b => b.value"));
            if (await state.InnerTextAsync() == "已完成") break;
            await Task.Delay(150);
        }
        await posting;
        Assert.That(await state.InnerTextAsync(), Is.EqualTo("已完成"), "the page turned to completed without a reload");
        // The status may be read between two DOM writes of the same update: read the bar once more after it.
        for (var settle = Stopwatch.StartNew(); settle.Elapsed < TimeSpan.FromSeconds(10) && await bar.EvaluateAsync<double>("b => b.value") < 100;)
            await Task.Delay(100);
        seen.Add(await bar.EvaluateAsync<double>("b => b.value"));
        Assert.That(seen[^1], Is.EqualTo(100));
        bool movedBeforeDone = seen.Zip(seen.Skip(1)).Any(p => p.Second > p.First && p.Second < 100);
        Assert.That(movedBeforeDone, $"the bar moved at least once before completion: {string.Join(",", seen.Distinct())}");
        Assert.That(seen.Zip(seen.Skip(1)).All(p => p.Second >= p.First), "never moves backwards");
        Assert.That(await page.InnerTextAsync("[data-field=failedCount]"),
            Is.EqualTo((await _server.ScalarAsync<int>("select failed_count from vouchers where id = @id", new { id = _largeId })).ToString("#,0", System.Globalization.CultureInfo.InvariantCulture)));
        await _server.Get<VoucherResults>().WriteAsync(_largeId, _server.Outbox, CancellationToken.None);

        await page.ReloadPageAsync();
        await Screenshot(page, "voucher-detail.png", fullPage: false);
        await page.OpenAsync("/");
        await Screenshot(page, "overview.png", fullPage: true);
    }

    private sealed class SlowProgress(TimeSpan pause) : IProgress<PostingProgress>
    {
        public void Report(PostingProgress value) => Thread.Sleep(pause);
    }

    private static async Task Screenshot(IPage page, string name, bool fullPage)
    {
        // Always taken (the test output keeps them); written into specs/screenshots when asked to refresh the committed ones.
        string local = Path.Combine(TestContext.CurrentContext.WorkDirectory, name);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = local, FullPage = fullPage });
        Assert.That(new FileInfo(local).Length, Is.GreaterThan(10_000));
        if (Environment.GetEnvironmentVariable("BANKGATEWAY_SCREENSHOTS") == "1")
        {
            string target = Path.Combine(SampleFiles.RepoRoot(), "specs", "screenshots", name);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(local, target, overwrite: true);
        }
    }

    [Test, Order(3)]
    public async Task Voucher_detail_shows_failures_by_code_and_the_failed_lines_masked()
    {
        await EnsureLargePostedAsync();
        var page = await LoginAsync("op");
        await page.OpenAsync($"/vouchers/{_largeId}");
        string failures = await page.InnerTextAsync("#failures");
        Assert.That(failures, Does.Contain("F08").And.Contain("账号不存在"));
        await page.ClickAsync("#failures a:has-text('F08')");
        var rows = page.Locator("#line-table tbody tr");
        Assert.That(await rows.CountAsync(), Is.EqualTo(3));
        string first = await rows.First.InnerTextAsync();
        Assert.That(first, Does.Contain(PersonalDataMask(LargeVoucher.IdNumber(7), 3, 4)).And.Contain(PersonalDataMask(LargeVoucher.Account(7), 4, 4)));
        Assert.That(first, Does.Not.Contain(LargeVoucher.IdNumber(7)));

        // The sample voucher: every failure code with its reason, lines filterable by 序号, history and files.
        await page.OpenAsync($"/vouchers/{_sampleId}?outcome=all");
        Assert.That(await page.InnerTextAsync("#history"), Does.Contain("收到凭证").And.Contain("第 1 批入账"));
        Assert.That(await page.InnerTextAsync("#files"), Does.Contain("RS_522726_ZF2024000123.csv").And.Contain("HD_522726_ZF2024000123.xml"));
        Assert.That(await page.Locator("#line-table tbody tr").CountAsync(), Is.GreaterThan(1));
    }

    private static string PersonalDataMask(string value, int head, int tail) => value[..head] + new string('*', value.Length - head - tail) + value[^tail..];

    [Test, Order(4)]
    public async Task Beneficiary_lookup_posts_the_number_and_lists_every_line_masked()
    {
        await EnsureLargePostedAsync();
        var page = await LoginAsync("reader");
        await page.OpenAsync("/lookup");
        await page.SelectOptionAsync("select[name=kind]", "id");
        await page.FillAsync("#lookup-value", LargeVoucher.IdNumber(70));
        await page.ClickAsync("form.filters button[type=submit]");
        await page.WaitForSelectorAsync("#lookup-results");
        Assert.That(page.Url, Does.Not.Contain(LargeVoucher.IdNumber(70)), "the number never travels in a URL");
        string results = await page.InnerTextAsync("#lookup-results");
        Assert.That(results, Does.Contain("ZF2024900001").And.Contain("F08"));
        Assert.That(results, Does.Not.Contain(LargeVoucher.IdNumber(70)));

        await page.SelectOptionAsync("select[name=kind]", "account");
        await page.FillAsync("#lookup-value", LargeVoucher.Account(5));
        await page.ClickAsync("form.filters button[type=submit]");
        await page.WaitForSelectorAsync("#lookup-results");
        results = await page.InnerTextAsync("#lookup-results");
        Assert.That(results, Does.Contain("ZF2024900001").And.Contain("成功").And.Contain("BG20240930 "));
        Assert.That(await _server.ScalarAsync<long>("select count(*) from audit_log where action = 'lookup' and actor = 'reader'"), Is.EqualTo(2));
    }

    [Test, Order(5)]
    public async Task Operator_holds_and_releases_a_received_voucher_and_a_second_click_changes_nothing()
    {
        var page = await LoginAsync("op");
        var stale = await page.Context.NewPageAsync();
        await page.OpenAsync($"/vouchers/{_smallId}");
        await stale.OpenAsync($"/vouchers/{_smallId}");

        await page.CheckAsync("#hold-form input[name=confirm]");
        await page.ClickAsync("#hold-form button");
        Assert.That(await page.InnerTextAsync("h1 [data-field=status]"), Is.EqualTo("已暂停"));
        Assert.That(await page.InnerTextAsync(".flash"), Does.Contain("已暂停入账"));

        await stale.CheckAsync("#hold-form input[name=confirm]");
        await stale.ClickAsync("#hold-form button");
        Assert.That(await stale.InnerTextAsync(".flash"), Does.Contain("未做更改"));
        Assert.That(await _server.ScalarAsync<long>("select count(*) from audit_log where action = 'voucher.hold' and subject = '522726/ZF2024900002' and actor = 'op'"), Is.EqualTo(1));

        // A held voucher is not posted.
        await _server.Get<PostingEngine>().PostAsync(_smallId, null, CancellationToken.None);
        Assert.That(await _server.ScalarAsync<string>("select status from vouchers where id = @id", new { id = _smallId }), Is.EqualTo("HELD"));

        // Without the confirmation nothing happens (the server checks it too).
        await page.EvalOnSelectorAsync("#release-form input[name=confirm]", "e => e.removeAttribute('required')");
        await page.ClickAsync("#release-form button");
        Assert.That(await page.InnerTextAsync(".flash"), Does.Contain("请勾选"));
        Assert.That(await page.InnerTextAsync("h1 [data-field=status]"), Is.EqualTo("已暂停"));

        await page.CheckAsync("#release-form input[name=confirm]");
        await page.ClickAsync("#release-form button");
        Assert.That(await page.InnerTextAsync("h1 [data-field=status]"), Is.EqualTo("已接收"));
        Assert.That(await _server.ScalarAsync<long>("select count(*) from audit_log where action = 'voucher.release' and subject = '522726/ZF2024900002'"), Is.EqualTo(1));
        await page.OpenAsync($"/vouchers/{_smallId}");
        Assert.That(await page.InnerTextAsync("#history"), Does.Contain("暂停入账").And.Contain("恢复入账").And.Contain("op"));
    }

    [Test, Order(6)]
    public async Task Operator_resends_the_outbound_files_byte_for_byte_and_executes_the_due_return()
    {
        await EnsureLargePostedAsync();
        var page = await LoginAsync("op");
        await page.OpenAsync($"/vouchers/{_largeId}");
        await page.CheckAsync("#resend-form input[name=confirm]");
        await page.ClickAsync("#resend-form button");
        Assert.That(await page.InnerTextAsync(".flash"), Does.Contain("已重发"));
        foreach (var name in new[] { "RS_522726_ZF2024900001.csv", "HD_522726_ZF2024900001.xml" })
        {
            string resent = Path.Combine(_server.ResendOutbox, name);
            Assert.That(File.ReadAllBytes(resent), Is.EqualTo(File.ReadAllBytes(Path.Combine(_server.Outbox, name))), name);
            Assert.That(await Sm3.HashFileHexAsync(resent, CancellationToken.None),
                Is.EqualTo(await _server.ScalarAsync<string>("select sm3 from outbound_files where file_name = @name", new { name })));
            Assert.That(File.Exists(resent + ".sig"), name);
        }

        // The return was due on 2024-10-08: execute it now.
        await page.CheckAsync("#return-form input[name=confirm]");
        await page.ClickAsync("#return-form button");
        int failed = await _server.ScalarAsync<int>("select failed_count from vouchers where id = @id", new { id = _largeId });
        Assert.That(await page.InnerTextAsync(".flash"), Does.Contain($"已执行退回 {failed} 笔"));
        Assert.That(File.Exists(Path.Combine(_server.ResendOutbox, "TH_522726_ZF2024900001.xml")));
        Assert.That(await _server.ScalarAsync<string>("select executed_by from returns where voucher_id = @id", new { id = _largeId }), Is.EqualTo("op"));
        Assert.That(await page.Locator("#return-form").CountAsync(), Is.Zero, "an executed return offers no second execution");
        Assert.That(await _server.ScalarAsync<long>("select count(*) from audit_log where action = 'voucher.resend' and actor = 'op'"), Is.EqualTo(1));
    }

    [Test, Order(7)]
    public async Task Operator_asks_for_a_channel_retry_and_it_is_audited()
    {
        var page = await LoginAsync("op");
        await page.OpenAsync("/");
        await page.CheckAsync("#channels input[name=confirm]");
        await page.ClickAsync("#channels form button");
        Assert.That(await page.InnerTextAsync(".flash"), Does.Contain("522726"));
        Assert.That(await _server.ScalarAsync<long>("select count(*) from audit_log where action = 'channel.retry' and actor = 'op'"), Is.EqualTo(1));
    }

    [Test, Order(8)]
    public async Task Logout_ends_the_session()
    {
        var page = await LoginAsync("op");
        await page.ClickAsync("#logout");
        await page.WaitForPageAsync(url => url.Contains("/login", StringComparison.Ordinal));
        await page.OpenAsync("/vouchers");
        Assert.That(page.Url, Does.Contain("/login"));
        Assert.That(await page.Locator("input[type=password]").CountAsync(), Is.EqualTo(1));
    }

    [Test, Order(9)]
    public async Task Viewer_sees_no_actions_and_a_direct_post_is_forbidden()
    {
        var page = await LoginAsync("reader");
        foreach (var path in new[] { $"/vouchers/{_smallId}", $"/vouchers/{_largeId}", "/" })
        {
            await page.OpenAsync(path);
            Assert.That(await page.Locator("main form[method=post]").CountAsync(), Is.Zero, $"{path}: no action form for a viewer");
            Assert.That(await page.Locator("#actions").CountAsync(), Is.Zero, path);
        }
        string token = await TokenAsync(page);
        var form = page.Context.APIRequest.CreateFormData();
        form.Set("__af", token);
        form.Set("expected", "RECEIVED");
        form.Set("confirm", "true");
        var response = await page.Context.APIRequest.PostAsync($"/vouchers/{_smallId}?handler=Hold", new APIRequestContextOptions { Form = form, MaxRedirects = 0 });
        Assert.That(response.Status, Is.EqualTo(403));
        Assert.That(await _server.ScalarAsync<string>("select status from vouchers where id = @id", new { id = _smallId }), Is.EqualTo("RECEIVED"));

        var users = await page.Context.APIRequest.GetAsync("/admin/users", new APIRequestContextOptions { MaxRedirects = 0 });
        Assert.That(users.Status, Is.EqualTo(403), "only admins manage users");
    }

    [Test, Order(10)]
    public async Task Unauthenticated_requests_get_the_login_page()
    {
        var context = await NewContextAsync();
        var response = await context.APIRequest.GetAsync($"/vouchers/{_largeId}", new APIRequestContextOptions { MaxRedirects = 0 });
        Assert.That(response.Status, Is.EqualTo(302));
        Assert.That(response.Headers["location"], Does.Contain("/login"));
        var page = await context.NewPageAsync();
        foreach (var path in new[] { "/", "/vouchers", "/audit", "/lookup", "/admin/users" })
        {
            await page.OpenAsync(path);
            Assert.That(new Uri(page.Url).AbsolutePath, Is.EqualTo("/login"), path);
        }
        var summary = await context.APIRequest.GetAsync(DashboardSetup.SummaryPath, new APIRequestContextOptions { MaxRedirects = 0 });
        Assert.That(summary.Status, Is.EqualTo(401));
        var post = await context.APIRequest.PostAsync($"/vouchers/{_smallId}?handler=Hold", new APIRequestContextOptions { MaxRedirects = 0 });
        Assert.That(post.Status, Is.AnyOf(302, 400));
    }

    [Test, Order(11)]
    public async Task A_post_without_the_antiforgery_token_is_refused()
    {
        var page = await LoginAsync("op");
        var form = page.Context.APIRequest.CreateFormData();
        form.Set("expected", "RECEIVED");
        form.Set("confirm", "true");
        var response = await page.Context.APIRequest.PostAsync($"/vouchers/{_smallId}?handler=Hold", new APIRequestContextOptions { Form = form, MaxRedirects = 0 });
        Assert.That(response.Status, Is.EqualTo(400));
        form.Set("__af", "forged-token");
        response = await page.Context.APIRequest.PostAsync($"/vouchers/{_smallId}?handler=Hold", new APIRequestContextOptions { Form = form, MaxRedirects = 0 });
        Assert.That(response.Status, Is.EqualTo(400));
        Assert.That(await _server.ScalarAsync<string>("select status from vouchers where id = @id", new { id = _smallId }), Is.EqualTo("RECEIVED"));
    }

    [Test, Order(12)]
    public async Task A_post_from_another_origin_is_refused()
    {
        var page = await LoginAsync("op");
        string token = await TokenAsync(page);
        var form = page.Context.APIRequest.CreateFormData();
        form.Set("__af", token);
        form.Set("expected", "RECEIVED");
        form.Set("confirm", "true");
        var response = await page.Context.APIRequest.PostAsync($"/vouchers/{_smallId}?handler=Hold", new APIRequestContextOptions
        {
            Form = form, MaxRedirects = 0, Headers = new Dictionary<string, string> { ["Origin"] = "http://evil.example" },
        });
        Assert.That(response.Status, Is.EqualTo(403));
        Assert.That(await _server.ScalarAsync<string>("select status from vouchers where id = @id", new { id = _smallId }), Is.EqualTo("RECEIVED"));

        // A real cross-site form in the browser: refused as well (SameSite=Strict keeps the session cookie home too).
        var evil = await page.Context.NewPageAsync();
        await evil.SetContentAsync($"<form method=post action='{_server.BaseUrl}/vouchers/{_smallId}?handler=Hold'><input name=__af value='{token}'><input name=expected value=RECEIVED><input name=confirm value=true><button>go</button></form>");
        var answer = evil.WaitForResponseAsync(r => r.Url.Contains("handler=Hold", StringComparison.Ordinal));
        await evil.ClickAsync("button");
        Assert.That((await answer).Status, Is.AnyOf(302, 400, 403));
        Assert.That(await _server.ScalarAsync<string>("select status from vouchers where id = @id", new { id = _smallId }), Is.EqualTo("RECEIVED"));
    }

    [Test, Order(13)]
    public async Task No_page_shows_a_full_id_or_account_number_unless_revealed()
    {
        await EnsureLargePostedAsync();
        var page = await LoginAsync("op");
        var paths = new[]
        {
            "/", "/vouchers", $"/vouchers/{_largeId}", $"/vouchers/{_largeId}?outcome=all", $"/vouchers/{_largeId}?outcome=paid&p=3",
            $"/vouchers/{_sampleId}?outcome=all", $"/vouchers/{_sampleId}", $"/vouchers/{_smallId}?outcome=all", "/vouchers?status=REJECTED", "/audit",
        };
        foreach (var path in paths)
        {
            await page.OpenAsync(path);
            AssertNoFullNumbers(await page.ContentAsync(), path);
        }
        await page.OpenAsync("/lookup");
        await page.FillAsync("#lookup-value", LargeVoucher.IdNumber(5));
        await page.ClickAsync("form.filters button[type=submit]");
        AssertNoFullNumbers(await page.ContentAsync(), "lookup results");

        // An operator reveals one value on purpose: shown once, audited without the value.
        await page.OpenAsync($"/vouchers/{_largeId}?outcome=failed");
        var firstRow = page.Locator("#line-table tbody tr").First;
        await firstRow.Locator("select[name=field]").SelectOptionAsync("id");
        await firstRow.Locator("input[name=confirm]").CheckAsync();
        await firstRow.Locator("button").ClickAsync();
        Assert.That(await page.InnerTextAsync("#revealed-value"), Is.EqualTo(LargeVoucher.IdNumber(7)));
        Assert.That(await _server.ScalarAsync<string>("select detail from audit_log where action = 'reveal' and actor = 'op' order by id desc limit 1"),
            Is.EqualTo("序号 7 证件号码"));
        await page.OpenAsync("/audit");
        AssertNoFullNumbers(await page.ContentAsync(), "audit after reveal");
    }

    private static void AssertNoFullNumbers(string html, string where)
    {
        Assert.That(FullIdNumber.Matches(html).Select(m => m.Value), Is.Empty, $"{where}: a full ID number");
        Assert.That(FullAccountNumber.Matches(html).Select(m => m.Value), Is.Empty, $"{where}: a full account number");
    }

    [Test, Order(14)]
    public async Task Five_wrong_passwords_lock_the_account_for_fifteen_minutes()
    {
        await _server.Get<UserStore>().AddOrUpdateAsync("guesser", Roles.Operator, Password, "test", CancellationToken.None);
        var page = await (await NewContextAsync()).NewPageAsync();
        for (int i = 0; i < 5; i++)
        {
            await page.OpenAsync("/login");
            await page.FillAsync("input[name=name]", "guesser");
            await page.FillAsync("input[type=password]", "wrong " + i);
            await page.ClickAsync("form button[type=submit]");
            Assert.That(await page.InnerTextAsync(".error"), Does.Contain(i < 4 ? "用户名或密码错误" : "锁定"));
        }
        await page.OpenAsync("/login");
        await page.FillAsync("input[name=name]", "guesser");
        await page.FillAsync("input[type=password]", Password);
        await page.ClickAsync("form button[type=submit]");
        Assert.That(await page.InnerTextAsync(".error"), Does.Contain("锁定"), "even the right password waits out the lock");
        Assert.That(new Uri(page.Url).AbsolutePath, Is.EqualTo("/login"));

        // An admin unlocks it from the users page.
        var admin = await LoginAsync("boss");
        await admin.OpenAsync("/admin/users");
        var row = admin.Locator("#users tr", new PageLocatorOptions { HasText = "guesser" });
        await row.Locator("form:has(button:has-text('解除锁定')) input[name=confirm]").CheckAsync();
        await row.Locator("button:has-text('解除锁定')").ClickAsync();
        Assert.That(await admin.InnerTextAsync(".flash"), Does.Contain("已解除"));
        await LoginAsync("guesser");
    }

    [Test, Order(15)]
    public async Task Pages_carry_the_security_headers_and_session_cookie_flags()
    {
        var context = await NewContextAsync();
        var response = await context.APIRequest.GetAsync("/login");
        var h = response.Headers;
        Assert.That(h["content-security-policy"], Does.Contain("default-src 'self'").And.Contain("frame-ancestors 'none'").And.Not.Contain("unsafe-inline"));
        Assert.That(h["x-content-type-options"], Is.EqualTo("nosniff"));
        Assert.That(h["referrer-policy"], Is.EqualTo("no-referrer"));
        var page = await LoginAsync("op");
        var session = (await page.Context.CookiesAsync()).Single(c => c.Name == "bg.session");
        Assert.That(session.HttpOnly && session.SameSite == SameSiteAttribute.Strict, "HttpOnly, SameSite=Strict");
        var script = await context.APIRequest.GetAsync("/dashboard/assets/dashboard.js");
        Assert.That(script.Status, Is.EqualTo(200), "every asset is served by the worker itself");
    }

    [Test, Order(17)]
    public async Task Operator_opens_a_rejected_delivery_and_resends_its_rejection_notice()
    {
        // A rejected delivery of the sample day whose RJ_ the pipeline produced.
        long id = await _server.ScalarAsync<long>("""
            select d.id from deliveries d join outbound_files o on o.source = 'delivery:' || d.id
            where d.outcome = 'REJECTED' order by d.id limit 1
            """);
        string code = await _server.ScalarAsync<string>("select reject_code from deliveries where id = @id", new { id });
        string voucherNo = await _server.ScalarAsync<string>("select voucher_no from deliveries where id = @id", new { id });
        string fileName = await _server.ScalarAsync<string>("select file_name from outbound_files where source = @source", new { source = $"delivery:{id}" });
        string sm3 = await _server.ScalarAsync<string>("select sm3 from outbound_files where source = @source", new { source = $"delivery:{id}" });

        var page = await LoginAsync("op");
        await page.OpenAsync("/vouchers?status=REJECTED");
        await page.ClickAsync($"#rejected a[href='/deliveries/{id}']");
        await page.WaitForPageAsync(url => new Uri(url).AbsolutePath == $"/deliveries/{id}");
        Assert.That(await page.InnerTextAsync("h1"), Does.Contain(voucherNo));
        Assert.That(await page.InnerTextAsync("#reject-code"), Is.EqualTo(code));
        Assert.That(await page.InnerTextAsync("#reject-reason"), Is.EqualTo(OutcomeTable.Reason(Enum.Parse<RejectCode>(code))).And.Not.Empty);
        Assert.That(await page.InnerTextAsync("#rejection-notice"), Does.Contain(fileName));
        Assert.That((await page.InnerTextAsync("#rejection-notice-sm3")).Replace(" ", ""), Is.EqualTo(sm3));
        AssertNoFullNumbers(await page.ContentAsync(), "rejected delivery");

        // Unticked: nothing happens.
        await page.EvaluateAsync("() => document.querySelector('#resend-rejection-form input[name=confirm]').removeAttribute('required')");
        await page.ClickAsync("#resend-rejection-form button");
        Assert.That(await page.InnerTextAsync(".flash"), Does.Contain("请勾选"));
        string resent = Path.Combine(_server.ResendOutbox, fileName);
        Assert.That(File.Exists(resent), Is.False);

        await page.CheckAsync("#resend-rejection-form input[name=confirm]");
        await page.ClickAsync("#resend-rejection-form button");
        Assert.That(await page.InnerTextAsync(".flash"), Does.Contain("已重发").And.Contain(fileName));
        Assert.That(File.ReadAllBytes(resent), Is.EqualTo(File.ReadAllBytes(Path.Combine(_server.Outbox, fileName))), "byte for byte the first RJ_");
        Assert.That(await Sm3.HashFileHexAsync(resent, CancellationToken.None), Is.EqualTo(sm3));
        var check = SignatureFile.Verify(resent, Sm2PublicKey.Load(SampleFiles.Key("bank_public.pem")));
        Assert.That(check.IsValid, check.Message);
        Assert.That(await _server.ScalarAsync<long>("select count(*) from audit_log where action = 'delivery.resend' and actor = 'op' and subject = @s",
            new { s = $"delivery:{id}" }), Is.EqualTo(1));
        Assert.That(await page.InnerTextAsync("#history"), Does.Contain("重发拒绝通知").And.Contain("op"));

        // A viewer sees the page without the action, and a direct POST is refused.
        var reader = await LoginAsync("reader");
        await reader.OpenAsync($"/deliveries/{id}");
        Assert.That(await reader.InnerTextAsync("#reject-code"), Is.EqualTo(code));
        Assert.That(await reader.Locator("main form[method=post]").CountAsync(), Is.Zero);
        Assert.That(await reader.Locator("#actions").CountAsync(), Is.Zero);
        string token = await TokenAsync(reader);
        var form = reader.Context.APIRequest.CreateFormData();
        form.Set("__af", token);
        form.Set("expected", "REJECTED");
        form.Set("confirm", "true");
        var response = await reader.Context.APIRequest.PostAsync($"/deliveries/{id}?handler=Resend", new APIRequestContextOptions { Form = form, MaxRedirects = 0 });
        Assert.That(response.Status, Is.EqualTo(403));
        Assert.That(await _server.ScalarAsync<long>("select count(*) from audit_log where action = 'delivery.resend'"), Is.EqualTo(1));
    }

    [Test, Order(16)]
    public async Task Users_add_creates_and_updates_an_account_with_the_password_from_the_environment_or_stdin()
    {
        string home = Directory.CreateTempSubdirectory("bg-users-home-").FullName;
        try
        {
            var worker = new WorkerProcess(home, _connectionString, new Dictionary<string, string?> { ["BANKGATEWAY_PASSWORD"] = Password });
            var created = await worker.RunAsync("users", "add", "cli-op", "--role", "viewer");
            Assert.That(created.ExitCode, Is.EqualTo(0), created.Stderr);
            Assert.That(created.Stdout, Does.Contain("created cli-op"));

            var fromStdin = new WorkerProcess(home, _connectionString, new Dictionary<string, string?> { ["BANKGATEWAY_PASSWORD"] = null });
            using (var process = Process.Start(fromStdin.StartInfo("users", "add", "cli-op", "--role", "operator"))!)
            {
                await process.StandardInput.WriteLineAsync(Password);
                process.StandardInput.Close();
                string stdout = await process.StandardOutput.ReadToEndAsync();
                await process.WaitForExitAsync();
                Assert.That(process.ExitCode, Is.EqualTo(0), await process.StandardError.ReadToEndAsync());
                Assert.That(stdout, Does.Contain("updated cli-op"));
            }
            Assert.That(await _server.ScalarAsync<string>("select role from users where name = 'cli-op'"), Is.EqualTo("operator"));
            Assert.That(await _server.ScalarAsync<string>("select password_hash from users where name = 'cli-op'"), Does.Not.Contain(Password));

            var refused = await worker.RunAsync("users", "add", "x", "--role", "viewer", "--password", "on-the-command-line");
            Assert.That(refused.ExitCode, Is.EqualTo(2), "no password option on the command line");
            var badRole = await worker.RunAsync("users", "add", "x", "--role", "root");
            Assert.That(badRole.ExitCode, Is.EqualTo(2));

            var page = await LoginAsync("cli-op");
            Assert.That(await page.InnerTextAsync("header"), Does.Contain("cli-op（操作员）"));
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }
}
