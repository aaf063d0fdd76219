using System.Net;
using System.Text.RegularExpressions;
using BankGateway.Files.Signing;
using BankGateway.Pipeline.Tests.Pipeline;
using BankGateway.Testing.Postgres;
using BankGateway.Testing.Vouchers;
using BankGateway.Worker.Dashboard;
using BankGateway.Worker.Intake;
using BankGateway.Worker.MasterData;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Playwright;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Dashboard;

/// <summary>
/// Dual control (双人复核) over HTTP against the real pages (cookies, antiforgery tokens, real PostgreSQL):
/// operator A requests, A's own approval is refused with nothing executed, operator B's approval executes and
/// is audited with both names; rejection; expiry; a reveal shown to the requester only; user changes approved
/// by a second admin; with the setting off the action executes at once. One run in real Chromium.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed partial class DualControlTests
{
    private const string Password = "correct horse battery staple";
    private const string ChromiumPath = "/usr/bin/chromium";
    private static readonly DateOnly BusinessDate = new(2024, 9, 30);

    private DashboardServer _server = null!;
    private string _connectionString = null!;
    private long _voucherId;

    [OneTimeSetUp]
    public async Task Start()
    {
        var db = await TestDatabase.GetSharedAsync();
        _connectionString = await db.CreateDatabaseAsync(GetType());
        _server = await DashboardServer.StartAsync(_connectionString, new Dictionary<string, string?>
        {
            ["Gateway:Dashboard:DualControl:Release"] = "true",
            ["Gateway:Dashboard:DualControl:ExecuteReturn"] = "true",
            ["Gateway:Dashboard:DualControl:Reveal"] = "true",
            ["Gateway:Dashboard:DualControl:Users"] = "true",
            ["Gateway:Dashboard:DualControl:QuarantineRelease"] = "true",
        });
        string samples = SampleFiles.CopyTo(_server.Work);
        await _server.Get<CatalogueImport>().ImportAsync(Path.Combine(samples, "catalogue.csv"), CancellationToken.None);
        await _server.Get<AccountMaster>().ImportAsync(Path.Combine(samples, "accounts.csv"), null, CancellationToken.None);
        var financeKey = Sm2PrivateKey.Load(SampleFiles.Key("finance_private.pem"));
        string inbox = Path.Combine(_server.Work, "in");
        LargeVoucher.Write(inbox, Path.Combine(_server.Work, "data"), 5, financeKey, "ZF2024910001", accountMultiple: 1, firstAccount: 300_001);
        var box = new LocalInbox(inbox, NullLogger.Instance, TimeSpan.FromMinutes(30), TimeProvider.System);
        foreach (var set in box.FindCompleteSets())
            await _server.Get<VoucherIntake>().TakeAsync(set, SampleFiles.FinancePublic, BusinessDate, CancellationToken.None);
        _voucherId = await _server.ScalarAsync<long>("select id from vouchers where voucher_no = 'ZF2024910001'");

        var users = _server.Get<UserStore>();
        await users.AddOrUpdateAsync("opa", Roles.Operator, Password, "test", CancellationToken.None);
        await users.AddOrUpdateAsync("opb", Roles.Operator, Password, "test", CancellationToken.None);
        await users.AddOrUpdateAsync("boss", Roles.Admin, Password, "test", CancellationToken.None);
        await users.AddOrUpdateAsync("boss2", Roles.Admin, Password, "test", CancellationToken.None);
        await users.AddOrUpdateAsync("reader", Roles.Viewer, Password, "test", CancellationToken.None);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_server is not null) await _server.DisposeAsync();
    }

    [SetUp]
    public Task HoldTheVoucher() => _server.ExecuteAsync(
        "update vouchers set status = 'HELD' from (select set_config('bankgateway.override', 'test: a held voucher', true)) o where id = @id", new { id = _voucherId });

    private Task<string> StatusAsync() => _server.ScalarAsync<string>("select status from vouchers where id = @id", new { id = _voucherId });

    private Task<long> AuditCountAsync(string action, string actorLike) =>
        _server.ScalarAsync<long>("select count(*) from audit_log where action = @action and actor like @actorLike", new { action, actorLike });

    [Test]
    public async Task Operator_a_requests_a_release_cannot_approve_it_and_operator_b_approval_executes_it_with_both_names()
    {
        using var a = await LoginAsync(_server.BaseUrl, "opa");
        using var b = await LoginAsync(_server.BaseUrl, "opb");

        string page = await a.PostAsync($"/vouchers/{_voucherId}", "Release", new() { ["expected"] = "HELD", ["confirm"] = "true", ["reason"] = "财政来电确认可以恢复" });
        Assert.That(page, Does.Contain("已提交复核申请"));
        Assert.That(await StatusAsync(), Is.EqualTo("HELD"), "a request executes nothing");
        long request = await LatestRequestAsync();
        Assert.That(await _server.ScalarAsync<string>("select requested_by || '|' || status || '|' || reason from approval_requests where id = @request", new { request }),
            Is.EqualTo("opa|PENDING|财政来电确认可以恢复"));
        Assert.That(await AuditCountAsync("approval.request", "opa"), Is.GreaterThanOrEqualTo(1));

        // The requester's page shows no approve form for their own request, and a forged POST is refused by the server.
        string approvals = await a.GetAsync("/approvals");
        Assert.That(approvals, Does.Contain("本人申请"));
        Assert.That(approvals, Does.Not.Contain($"name=\"request\" value=\"{request}\""));
        string refused = await a.PostAsync("/approvals", "Approve", new() { ["request"] = request.ToString(), ["confirm"] = "true" });
        Assert.That(refused, Does.Contain("不能批准自己提交的申请"));
        Assert.That(await StatusAsync(), Is.EqualTo("HELD"), "the requester's approval executes nothing");
        Assert.That(await _server.ScalarAsync<string>("select status from approval_requests where id = @request", new { request }), Is.EqualTo("PENDING"));

        string approved = await b.PostAsync("/approvals", "Approve", new() { ["request"] = request.ToString(), ["confirm"] = "true" });
        Assert.That(approved, Does.Contain($"已批准 opa 的申请 #{request}"));
        Assert.That(await StatusAsync(), Is.EqualTo("RECEIVED"));
        Assert.That(await _server.ScalarAsync<string>("select status || '|' || decided_by from approval_requests where id = @request", new { request }), Is.EqualTo("APPROVED|opb"));
        string releaseActor = await _server.ScalarAsync<string>("select actor from audit_log where action = 'voucher.release' order by id desc limit 1");
        Assert.That(releaseActor, Does.Contain("opb").And.Contain("opa").And.Contain($"#{request}"), "the executed action names both people");
        // The status change is one event with both names and the requester's reason, and the history shows it.
        Assert.That(await _server.ScalarAsync<string>("""
            select from_status || '→' || to_status || '|' || actor || '|' || reason from voucher_events
            where voucher_id = @id order by id desc limit 1
            """, new { id = _voucherId }), Is.EqualTo($"HELD→RECEIVED|{releaseActor}|财政来电确认可以恢复"));
        Assert.That(await b.GetAsync($"/vouchers/{_voucherId}"), Does.Contain("凭证状态：已暂停 → 已接收").And.Contain("财政来电确认可以恢复"));
        Assert.That(await AuditCountAsync("approval.approve", "opb"), Is.GreaterThanOrEqualTo(1));
        Assert.That(await AuditCountAsync("approval.execute", $"opb%opa%#{request}%"), Is.EqualTo(1));

        // Approving again changes nothing.
        string again = await b.PostAsync("/approvals", "Approve", new() { ["request"] = request.ToString(), ["confirm"] = "true" });
        Assert.That(again, Does.Contain("已批准，未做更改"));
    }

    [Test]
    public async Task A_request_without_a_reason_is_not_recorded()
    {
        using var a = await LoginAsync(_server.BaseUrl, "opa");
        long before = await _server.ScalarAsync<long>("select count(*) from approval_requests");
        string page = await a.PostAsync($"/vouchers/{_voucherId}", "Release", new() { ["expected"] = "HELD", ["confirm"] = "true", ["reason"] = "  " });
        Assert.That(page, Does.Contain("须填写申请理由"));
        Assert.That(await _server.ScalarAsync<long>("select count(*) from approval_requests"), Is.EqualTo(before));
        Assert.That(await StatusAsync(), Is.EqualTo("HELD"));
    }

    [Test]
    public async Task Operator_b_rejects_and_nothing_is_executed()
    {
        using var a = await LoginAsync(_server.BaseUrl, "opa");
        using var b = await LoginAsync(_server.BaseUrl, "opb");
        await a.PostAsync($"/vouchers/{_voucherId}", "Release", new() { ["expected"] = "HELD", ["confirm"] = "true", ["reason"] = "请恢复" });
        long request = await LatestRequestAsync();
        string page = await b.PostAsync("/approvals", "Reject", new() { ["request"] = request.ToString(), ["confirm"] = "true", ["note"] = "未见财政书面确认" });
        Assert.That(page, Does.Contain($"已驳回 opa 的申请 #{request}"));
        Assert.That(await StatusAsync(), Is.EqualTo("HELD"));
        Assert.That(await _server.ScalarAsync<string>("select status || '|' || decided_by || '|' || decision_note from approval_requests where id = @request", new { request }),
            Is.EqualTo("REJECTED|opb|未见财政书面确认"));
        Assert.That(await AuditCountAsync("approval.reject", "opb"), Is.GreaterThanOrEqualTo(1));
        string approve = await b.PostAsync("/approvals", "Approve", new() { ["request"] = request.ToString(), ["confirm"] = "true" });
        Assert.That(approve, Does.Contain("已驳回，未做更改"));
        Assert.That(await StatusAsync(), Is.EqualTo("HELD"));
    }

    [Test]
    public async Task An_expired_request_cannot_be_approved_and_its_expiry_is_audited()
    {
        using var a = await LoginAsync(_server.BaseUrl, "opa");
        using var b = await LoginAsync(_server.BaseUrl, "opb");
        await a.PostAsync($"/vouchers/{_voucherId}", "Release", new() { ["expected"] = "HELD", ["confirm"] = "true", ["reason"] = "请恢复" });
        long request = await LatestRequestAsync();
        var expiresAfter = await _server.ScalarAsync<double>(
            "select extract(epoch from expires_at - requested_at) from approval_requests where id = @request", new { request });
        Assert.That(expiresAfter, Is.EqualTo(24 * 3600).Within(1), "default expiry: 24 hours");
        await _server.ExecuteAsync("update approval_requests set expires_at = now() - interval '1 minute' where id = @request", new { request });

        string page = await b.PostAsync("/approvals", "Approve", new() { ["request"] = request.ToString(), ["confirm"] = "true" });
        Assert.That(page, Does.Contain("已过期"));
        Assert.That(await StatusAsync(), Is.EqualTo("HELD"));
        Assert.That(await _server.ScalarAsync<string>("select status from approval_requests where id = @request", new { request }), Is.EqualTo("EXPIRED"));
        Assert.That(await _server.ScalarAsync<long>("select count(*) from audit_log where action = 'approval.expire' and detail like @d", new { d = $"#{request} %" }), Is.EqualTo(1));
    }

    [Test]
    public async Task A_viewer_may_not_approve()
    {
        using var a = await LoginAsync(_server.BaseUrl, "opa");
        using var reader = await LoginAsync(_server.BaseUrl, "reader");
        await a.PostAsync($"/vouchers/{_voucherId}", "Release", new() { ["expected"] = "HELD", ["confirm"] = "true", ["reason"] = "请恢复" });
        long request = await LatestRequestAsync();
        var response = await reader.PostRawAsync("/approvals", "Approve", new() { ["request"] = request.ToString(), ["confirm"] = "true" });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await StatusAsync(), Is.EqualTo("HELD"));
    }

    [Test]
    public async Task An_approved_reveal_is_shown_to_the_requester_and_not_to_the_approver()
    {
        using var a = await LoginAsync(_server.BaseUrl, "opa");
        using var b = await LoginAsync(_server.BaseUrl, "opb");
        int row = await _server.ScalarAsync<int>("select min(row_no) from voucher_lines where voucher_id = @id", new { id = _voucherId });
        string idNumber = await _server.ScalarAsync<string>("select id_number from voucher_lines where voucher_id = @id and row_no = @row", new { id = _voucherId, row });
        string page = await a.PostAsync($"/vouchers/{_voucherId}", "Reveal", new() { ["row"] = row.ToString(), ["field"] = "id", ["confirm"] = "true", ["reason"] = "受益人来电核对身份" });
        Assert.That(page, Does.Contain("已提交复核申请").And.Not.Contain(idNumber));
        long request = await LatestRequestAsync();
        string approved = await b.PostAsync("/approvals", "Approve", new() { ["request"] = request.ToString(), ["confirm"] = "true" });
        Assert.That(approved, Does.Contain($"已批准 opa 的申请 #{request}").And.Not.Contain(idNumber));
        Assert.That(await b.GetAsync($"/approvals/{request}"), Does.Not.Contain(idNumber), "the approver does not see the value");
        Assert.That(await a.GetAsync($"/approvals/{request}"), Does.Contain(idNumber), "the requester sees it after approval");
        Assert.That(await AuditCountAsync("reveal", $"opa%opb%#{request}%"), Is.EqualTo(1), "each showing is audited with both names");
        await _server.ExecuteAsync("update approval_requests set reveal_until = now() - interval '1 second' where id = @request", new { request });
        Assert.That(await a.GetAsync($"/approvals/{request}"), Does.Not.Contain(idNumber), "only for a short time");
    }

    [Test]
    public async Task A_user_change_needs_a_second_admin()
    {
        using var boss = await LoginAsync(_server.BaseUrl, "boss");
        using var b = await LoginAsync(_server.BaseUrl, "opb");
        using var boss2 = await LoginAsync(_server.BaseUrl, "boss2");
        string page = await boss.PostAsync("/admin/users", "Save", new() { ["name"] = "newop", ["role"] = "operator", ["password"] = "another long secret", ["reason"] = "新同事入职" });
        Assert.That(page, Does.Contain("已提交复核申请"));
        Assert.That(await _server.ScalarAsync<long>("select count(*) from users where name = 'newop'"), Is.Zero);
        long request = await LatestRequestAsync();
        Assert.That(await _server.ScalarAsync<string>("select params from approval_requests where id = @request", new { request }), Does.Not.Contain("another long secret"));
        Assert.That(await b.PostAsync("/approvals", "Approve", new() { ["request"] = request.ToString(), ["confirm"] = "true" }), Does.Contain("须由管理员复核"));
        Assert.That(await boss.PostAsync("/approvals", "Approve", new() { ["request"] = request.ToString(), ["confirm"] = "true" }), Does.Contain("不能批准自己"));
        Assert.That(await _server.ScalarAsync<long>("select count(*) from users where name = 'newop'"), Is.Zero);
        Assert.That(await boss2.PostAsync("/approvals", "Approve", new() { ["request"] = request.ToString(), ["confirm"] = "true" }), Does.Contain("已新增用户 newop"));
        using var newop = await LoginAsync(_server.BaseUrl, "newop", "another long secret");
        Assert.That(await newop.GetAsync("/approvals"), Does.Contain("双人复核"));
    }

    [Test]
    public async Task A_quarantine_release_is_requested_and_executed_on_approval_with_both_names()
    {
        long held = await _server.ScalarAsync<long>("""
            insert into quarantine (kind, set_key, adm_div_code, voucher_no, file_name, error, created_at)
            values ('SET', 'PV_522726_ZF2024919999.xml:dual', '522726', 'ZF2024919999', 'PV_522726_ZF2024919999.xml', 'test fault', now()) returning id
            """);
        using var a = await LoginAsync(_server.BaseUrl, "opa");
        using var b = await LoginAsync(_server.BaseUrl, "opb");
        string page = await a.PostAsync("/", "ReleaseQuarantine", new() { ["id"] = held.ToString(), ["confirm"] = "true", ["reason"] = "已修复文件" });
        Assert.That(page, Does.Contain("已提交复核申请"));
        Assert.That(await _server.ScalarAsync<bool>("select released_at is null from quarantine where id = @held", new { held }), Is.True);
        long request = await LatestRequestAsync();
        Assert.That(await a.PostAsync("/approvals", "Approve", new() { ["request"] = request.ToString(), ["confirm"] = "true" }), Does.Contain("不能批准自己"));
        Assert.That(await _server.ScalarAsync<bool>("select released_at is null from quarantine where id = @held", new { held }), Is.True);
        Assert.That(await b.PostAsync("/approvals", "Approve", new() { ["request"] = request.ToString(), ["confirm"] = "true" }), Does.Contain("已解除隔离"));
        Assert.That(await _server.ScalarAsync<string>("select released_by from quarantine where id = @held", new { held }), Does.Contain("opb").And.Contain("opa"));
    }

    [Test]
    public async Task The_overview_lists_an_open_voucher_past_its_pay_within_deadline_as_a_deadline_risk()
    {
        using var reader = await LoginAsync(_server.BaseUrl, "reader");
        Assert.That(await reader.GetAsync("/"), Does.Not.Contain("时限风险</td>"), "received today: within 2WD");
        await _server.ExecuteAsync("update vouchers set received_at = '2024-09-30T10:00:00+08:00' where id = @id", new { id = _voucherId });
        try
        {
            string page = await reader.GetAsync("/");
            Assert.That(page, Does.Contain("时限风险</td>").And.Contain("应于 2024-10-09 前完成（收到后第 2 个工作日）"));
        }
        finally
        {
            await _server.ExecuteAsync("update vouchers set received_at = now() where id = @id", new { id = _voucherId });
        }
    }

    [Test]
    public async Task With_dual_control_off_the_release_executes_at_once()
    {
        await using var off = await DashboardServer.StartAsync(_connectionString);
        using var a = await LoginAsync(off.BaseUrl, "opa");
        long before = await _server.ScalarAsync<long>("select count(*) from approval_requests");
        string page = await a.PostAsync($"/vouchers/{_voucherId}", "Release", new() { ["expected"] = "HELD", ["confirm"] = "true" });
        Assert.That(page, Does.Contain("已恢复入账"));
        Assert.That(await StatusAsync(), Is.EqualTo("RECEIVED"));
        Assert.That(await _server.ScalarAsync<long>("select count(*) from approval_requests"), Is.EqualTo(before));
    }

    [Test]
    public async Task In_chromium_operator_a_requests_is_refused_approving_and_operator_b_approves()
    {
        Assume.That(File.Exists(ChromiumPath), $"Debian chromium is required at {ChromiumPath}");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var a = await BrowserLoginAsync(browser, "opa");
        await a.OpenAsync($"/vouchers/{_voucherId}");
        await a.FillAsync("#release-form input[name=reason]", "财政已书面确认");
        await a.CheckAsync("#release-form input[name=confirm]");
        await a.ClickAsync("#release-form button[type=submit]");
        Assert.That(await (await a.WaitForSelectorAsync(".flash"))!.TextContentAsync(), Does.Contain("已提交复核申请"));
        long request = await LatestRequestAsync();

        // A sees no approve form for their own request; a POST built from another page's token is refused by the server.
        await a.OpenAsync("/approvals");
        await a.WaitForSelectorAsync($"tr[data-request='{request}'] .own-request");
        Assert.That(await a.Locator($"tr[data-request='{request}'] form.approve-form").CountAsync(), Is.Zero);
        string token = await a.InputValueAsync("input[name=__af]");
        var form = a.Context.APIRequest.CreateFormData();
        form.Set("__af", token);
        form.Set("request", request.ToString());
        form.Set("confirm", "true");
        var forged = await a.Context.APIRequest.PostAsync("/approvals?handler=Approve", new APIRequestContextOptions { Form = form });
        Assert.That(WebUtility.HtmlDecode(await forged.TextAsync()), Does.Contain("不能批准自己提交的申请"));
        Assert.That(await StatusAsync(), Is.EqualTo("HELD"));

        var b = await BrowserLoginAsync(browser, "opb");
        await b.OpenAsync("/approvals");
        var row = b.Locator($"tr[data-request='{request}']");
        await row.Locator("form.approve-form input[name=confirm]").CheckAsync();
        await row.Locator("form.approve-form button[type=submit]").ClickAsync();
        // Once approved the request leaves the pending list.
        await b.Locator($"tr[data-request='{request}']").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Detached });
        var flash = b.Locator("#approval-flash");
        if (await flash.CountAsync() == 0) Assert.Fail($"no message after the approval at {b.Url}: {await b.Locator("main").InnerTextAsync()}");
        Assert.That(await flash.TextContentAsync(), Does.Contain($"已批准 opa 的申请 #{request}"));
        Assert.That(await StatusAsync(), Is.EqualTo("RECEIVED"));
        await b.OpenAsync($"/vouchers/{_voucherId}#history");
        Assert.That(await b.Locator("#history").TextContentAsync(), Does.Contain("复核批准 opa 的申请"));
    }

    private async Task<IPage> BrowserLoginAsync(IBrowser browser, string user)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = _server.BaseUrl, Locale = "zh-CN" });
        context.SetDefaultTimeout(90_000);
        context.SetDefaultNavigationTimeout(90_000);
        var page = await context.NewPageAsync();
        await page.OpenAsync("/login");
        await page.FillAsync("input[name=name]", user);
        await page.FillAsync("input[type=password]", Password);
        await page.ClickAsync("form button[type=submit]");
        await page.WaitForPageAsync(url => !url.Contains("/login", StringComparison.Ordinal));
        return page;
    }

    private Task<long> LatestRequestAsync() => _server.ScalarAsync<long>("select max(id) from approval_requests");

    private static async Task<Session> LoginAsync(string baseUrl, string name, string password = Password)
    {
        var handler = new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = true };
        var http = new HttpClient(handler) { BaseAddress = new Uri(baseUrl) };
        var session = new Session(http);
        string login = await http.GetStringAsync("/login");
        var posted = await http.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["name"] = name, ["password"] = password, ["returnUrl"] = "/approvals", ["__af"] = Token(login),
        }));
        Assert.That(posted.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(posted.RequestMessage!.RequestUri!.AbsolutePath, Is.EqualTo("/approvals"), $"{name} is logged in");
        return session;
    }

    private static string Token(string html)
    {
        var m = AntiforgeryToken().Match(html);
        Assert.That(m.Success, Is.True, "the page carries an antiforgery token");
        return WebUtility.HtmlDecode(m.Groups[1].Value);
    }

    /// <summary>One logged-in browser-less session: GETs a page for its token, then POSTs the form the way the page does.</summary>
    private sealed class Session(HttpClient http) : IDisposable
    {
        public async Task<string> GetAsync(string path) => WebUtility.HtmlDecode(await http.GetStringAsync(path));

        public async Task<HttpResponseMessage> PostRawAsync(string path, string handler, Dictionary<string, string> fields)
        {
            string page = await http.GetStringAsync(path);
            fields["__af"] = Token(page);
            return await http.PostAsync($"{path}?handler={handler}", new FormUrlEncodedContent(fields));
        }

        public async Task<string> PostAsync(string path, string handler, Dictionary<string, string> fields)
        {
            var response = await PostRawAsync(path, handler, fields);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"POST {path}?handler={handler}");
            return WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        }

        public void Dispose() => http.Dispose();
    }

    [GeneratedRegex("name=\"__af\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();
}
