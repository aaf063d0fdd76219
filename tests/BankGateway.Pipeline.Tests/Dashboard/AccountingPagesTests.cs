using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using BankGateway.Domain;
using BankGateway.Domain.Statements;
using BankGateway.Files.Signing;
using BankGateway.Pipeline.Tests.Reconciliation;
using BankGateway.Pipeline.Tests.Supervision;
using BankGateway.Testing.Vouchers;
using BankGateway.Worker.Dashboard;
using BankGateway.Worker.Reconciliation;
using Microsoft.Extensions.Configuration;
using Microsoft.Playwright;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Dashboard;

/// <summary>
/// The 对账, 异常线索 and line traceability pages over HTTP (real Kestrel, HttpClient with the login cookie) on
/// <see cref="StatementMonth"/>'s two months of 独山县 — whose September DZ_ is written first — plus a planted A01 offence
/// in November: the page shows the DZ_ file's very figures, personal data never appears whole, and one Chromium run walks
/// the three pages.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed partial class AccountingPagesTests
{
    private const string Password = "correct horse battery staple";
    private const string ChromiumPath = "/usr/bin/chromium";

    private StatementMonth _month = null!;
    private DashboardServer _server = null!;
    private string _dzPath = null!;
    private HttpClient _http = null!;
    private HttpClientHandler _handler = null!;
    private long _a01First;
    private long _a01Second;

    // Planted for A01 in November 2024 (no DZ_ of September is touched): person 501 paid into two accounts.
    private const long Person = 501;
    private static readonly string OtherAccount = LargeVoucher.Account(9501);

    [OneTimeSetUp]
    public async Task Build()
    {
        _month = await StatementMonth.BuildAsync("accounting_pages");
        _month.At(2025, 1, 2);
        var outcomes = await _month.Gateway.Get<ReconciliationStatements>().RunAsync(StatementPeriod.Month(2024, 9), _month.Statements, CancellationToken.None);
        Assert.That(outcomes.Single().Path, Is.Not.Null, "the September DZ_ is written");
        _dzPath = outcomes.Single().Path!;

        var plant = new Planter(_month.Gateway.Db);
        _a01First = await plant.VoucherAsync(LargeVoucher.AdmDivCode, "YC1101", new DateOnly(2024, 11, 4));
        _a01Second = await plant.VoucherAsync(LargeVoucher.AdmDivCode, "YC1102", new DateOnly(2024, 11, 5), subsidy: "临时救助金");
        await plant.LineAsync(_a01First, 1, Person, paidAt: Planter.China(2024, 11, 4));
        await plant.LineAsync(_a01Second, 1, Person, account: OtherAccount, paidAt: Planter.China(2024, 11, 5));

        string connectionString = _month.Gateway.Get<IConfiguration>()["ConnectionStrings:Gateway"]!;
        _server = await DashboardServer.StartAsync(connectionString);
        await _server.Get<UserStore>().AddOrUpdateAsync("reader", Roles.Viewer, Password, "test", CancellationToken.None);
        (_handler, _http) = await LoginAsync("reader");
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _http?.Dispose();
        _handler?.Dispose();
        if (_server is not null) await _server.DisposeAsync();
        if (_month is not null) await _month.DisposeAsync();
    }

    private async Task<(HttpClientHandler, HttpClient)> LoginAsync(string user)
    {
        var handler = new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = true };
        var http = new HttpClient(handler) { BaseAddress = new Uri(_server.BaseUrl) };
        string login = await http.GetStringAsync("/login");
        var token = AntiforgeryToken().Match(login).Groups[1].Value;
        var posted = await http.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["name"] = user, ["password"] = Password, ["returnUrl"] = "/", ["__af"] = token,
        }));
        Assert.That(posted.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(posted.RequestMessage!.RequestUri!.AbsolutePath, Is.EqualTo("/"), "logged in");
        return (handler, http);
    }

    private static Dictionary<string, string> Fields(string html)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match m in DataField().Matches(html)) fields[m.Groups[1].Value] = WebUtility.HtmlDecode(m.Groups[2].Value.Trim());
        return fields;
    }

    /// <summary>No whole ID number (18 characters), no 16–19 digit run (account) and none of the planted or sample people's numbers.</summary>
    private static void AssertMasked(string html, string page)
    {
        Assert.That(FullIdNumber().IsMatch(html), Is.False, $"{page}: a whole ID number");
        Assert.That(LongDigits().IsMatch(html), Is.False, $"{page}: a 16–19 digit run");
        foreach (var secret in new[] { StatementMonth.Meng, StatementMonth.Wu, LargeVoucher.IdNumber(Person), LargeVoucher.Account(Person), OtherAccount,
                     "52272619790421347X", "6217995203831562930" })
            Assert.That(html, Does.Not.Contain(secret), $"{page} shows {secret[..4]}… whole");
    }

    [Test]
    public async Task Reconciliation_page_shows_the_figures_of_the_DZ_file_for_the_same_month()
    {
        string html = await _http.GetStringAsync("/reconciliation?month=2024-09");
        var root = XDocument.Load(_dzPath).Root!;
        var section = Section().Match(html);
        Assert.That(section.Success, Is.True, "a 522726 section (logged in?)");
        var page = Fields(section.Value);

        Assert.That(page["ReceivedCount"], Is.EqualTo(int.Parse(root.Element("ReceivedCount")!.Value, CultureInfo.InvariantCulture).ToString("#,0", CultureInfo.InvariantCulture)));
        foreach (var field in new[] { "ReceivedAmt", "PaidAmt", "FailedAmt", "ReturnedAmt", "PendingReturnAmt", "ClearedAmt", "TreasuryAmt", "GrainFundAmt" })
            Assert.That(page[field], Is.EqualTo(Display.Yuan(Money.Parse(root.Element(field)!.Value).Fen)), field);
        Assert.That(page["PaidAmt"], Does.Match(@"^\d{1,3}(,\d{3})*\.\d{2}$"), "yuan with two decimals");
        Assert.That(Money.Parse(root.Element("ReturnedAmt")!.Value).IsPositive && Money.Parse(root.Element("PendingReturnAmt")!.Value).IsPositive, Is.True,
            "September has both returned and pending money: the comparison means something");

        // One row per DZ_ line, in its order, each linked to its voucher, with the line's amounts.
        var lines = root.Element("Lines")!.Elements("Line").ToList();
        var rows = LineRow().Matches(html).Select(m => (No: m.Groups[1].Value, Cells: Cell().Matches(m.Groups[2].Value).Select(c => WebUtility.HtmlDecode(StripTags(c.Groups[1].Value))).ToList())).ToList();
        Assert.That(rows.Select(r => r.No), Is.EqualTo(lines.Select(l => l.Attribute("VoucherNo")!.Value)));
        foreach (var (line, row) in lines.Zip(rows))
        {
            string no = line.Attribute("VoucherNo")!.Value;
            long id = await _server.ScalarAsync<long>("select id from vouchers where adm_div_code = '522726' and voucher_no = @no", new { no });
            Assert.That(html, Does.Contain($"<a href=\"/vouchers/{id}\">{no}</a>"), no);
            Assert.That(row.Cells[3..6], Is.EqualTo(new[] { "PayAmt", "PaidAmt", "FailedAmt" }.Select(a => Display.Yuan(Money.Parse(line.Attribute(a)!.Value).Fen))), no);
            Assert.That(row.Cells[6], Is.EqualTo(Display.Yuan(Money.Parse(line.Attribute("ReturnedAmt")!.Value).Fen)), no);
            Assert.That(row.Cells[8..10], Is.EqualTo(new[] { line.Attribute("ReturnDate")?.Value ?? "", line.Attribute("ClearDate")?.Value ?? "" }), no);
        }

        // The DZ_ is shown as written, with its SM3 (the file's own digest), and agrees with the database.
        string sm3 = Sm3.HashHex(await File.ReadAllBytesAsync(_dzPath));
        Assert.That(page["sm3"].Replace(" ", "", StringComparison.Ordinal), Is.EqualTo(sm3).IgnoreCase);
        Assert.That(WebUtility.HtmlDecode(html), Does.Contain("已生成").And.Contain("与当前数据一致"));
        AssertMasked(html, "/reconciliation");
    }

    [Test]
    public async Task A_month_without_its_DZ_yet_says_so_and_a_bad_month_is_an_error_not_a_crash()
    {
        string august = await _http.GetStringAsync("/reconciliation?month=2024-08&adm=522726");
        Assert.That(Fields(august)["dz-missing"], Is.EqualTo("尚未生成"));
        Assert.That(Fields(august)["PendingReturnAmt"], Is.EqualTo("100.00"), "August ends with its F08 line not yet returned");
        string bad = await _http.GetStringAsync("/reconciliation?month=2024-13");
        Assert.That(WebUtility.HtmlDecode(bad), Does.Contain("月份格式应为"));
    }

    [Test]
    public async Task Anomaly_page_lists_A01_masked_with_a_count_per_rule_links_to_the_trace_and_is_audited()
    {
        long before = await _server.ScalarAsync<long>("select count(*) from audit_log where action = 'anomalies.view'");
        string html = await _http.GetStringAsync("/anomalies?from=2024-11-01&to=2024-11-30");
        Assert.That(CountCell().Matches(html).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value),
            Is.EqualTo(new Dictionary<string, string> { ["A01"] = "2", ["A02"] = "0", ["A03"] = "0", ["A04"] = "0", ["A05"] = "0" }));
        string id = LargeVoucher.IdNumber(Person);
        Assert.That(html, Does.Contain(new string('*', id.Length - 4) + id[^4..]), "the ID's last 4 only");
        Assert.That(html, Does.Contain(new string('*', OtherAccount.Length - 4) + OtherAccount[^4..]), "the account's last 4 only");
        Assert.That(html, Does.Contain($"href=\"/lines/{_a01First}/1\"").And.Contain($"href=\"/lines/{_a01Second}/1\""));
        AssertMasked(html, "/anomalies");
        Assert.That(await _server.ScalarAsync<long>("select count(*) from audit_log where action = 'anomalies.view'"), Is.EqualTo(before + 1));
        var (actor, detail) = (await _server.ScalarAsync<string>("select actor from audit_log where action = 'anomalies.view' order by id desc limit 1"),
            await _server.ScalarAsync<string>("select detail from audit_log where action = 'anomalies.view' order by id desc limit 1"));
        Assert.That((actor, detail), Is.EqualTo(("reader", "A01 2, A02 0, A03 0, A04 0, A05 0")));
    }

    [Test]
    public async Task Trace_of_a_failed_line_shows_its_return_its_reissue_with_the_reissues_credit_and_the_QS_and_back()
    {
        long orig = await _server.ScalarAsync<long>("select id from vouchers where voucher_no = 'ZF2024000124'");
        int row = await _server.ScalarAsync<int>("select row_no from voucher_lines where voucher_id = @orig and seq_no = '14'", new { orig });
        long reissue = await _server.ScalarAsync<long>("select id from vouchers where voucher_no = 'ZF2024000301'");
        long credit = await _server.ScalarAsync<long>("select j.id from journal j join voucher_lines l on l.voucher_id = j.voucher_id and l.row_no = j.ref_no where j.voucher_id = @reissue and l.seq_no = '1' and j.kind = 'P' and j.side = 'C'", new { reissue });

        string html = await _http.GetStringAsync($"/lines/{orig}/{row}");
        var f = Fields(html);
        Assert.That(f["failure"], Does.StartWith("失败 F"));
        Assert.That(f["qs"], Is.EqualTo("QS_522726_20240927.xml"), "the voucher's QS_");
        Assert.That(html, Does.Contain("2024-09-29"), "returned on the adjusted working Sunday");
        Assert.That(html, Does.Contain($"href=\"/lines/{reissue}/").And.Contain("ZF2024000301"));
        Assert.That(html, Does.Contain($"#{credit}").Or.Contain(ScreenText.BankRef(BankGateway.Worker.Results.VoucherResults.BankReference("20240930", credit))), "the re-issue's own credit");
        AssertMasked(html, "/lines (original)");

        int reissueRow = await _server.ScalarAsync<int>("select row_no from voucher_lines where voucher_id = @reissue and seq_no = '1'", new { reissue });
        string back = await _http.GetStringAsync($"/lines/{reissue}/{reissueRow}");
        Assert.That(back, Does.Contain($"href=\"/lines/{orig}/{row}\""), "the re-issue links to the original it re-issues");
        Assert.That(Fields(back)["journal"], Does.Contain($"#{credit}"));
        Assert.That(Fields(back)["account"], Is.EqualTo("6217***********2930"));
        Assert.That(Fields(back)["id"], Does.EndWith("347X").And.StartWith("522*"));
        AssertMasked(back, "/lines (re-issue)");

        Assert.That((await _http.GetAsync($"/lines/{orig}/999999")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task Voucher_and_lookup_pages_link_each_line_to_its_trace_and_pages_need_a_login()
    {
        long orig = await _server.ScalarAsync<long>("select id from vouchers where voucher_no = 'ZF2024000124'");
        string voucher = await _http.GetStringAsync($"/vouchers/{orig}");
        Assert.That(voucher, Does.Contain($"href=\"/lines/{orig}/"));
        string form = await _http.GetStringAsync("/lookup");
        var found = await _http.PostAsync("/lookup", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["kind"] = "id", ["value"] = StatementMonth.Meng, ["__af"] = AntiforgeryToken().Match(form).Groups[1].Value,
        }));
        string lookup = await found.Content.ReadAsStringAsync();
        long meng = await _server.ScalarAsync<long>("select voucher_id from voucher_lines where id_number = @id order by voucher_id limit 1", new { id = StatementMonth.Meng });
        Assert.That(lookup, Does.Contain($"href=\"/lines/{meng}/"), "lookup results link to the trace");
        AssertMasked(lookup, "/lookup");
        string nav = await _http.GetStringAsync("/");
        Assert.That(nav, Does.Contain("href=\"/reconciliation\"").And.Contain("href=\"/anomalies\""));

        using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(_server.BaseUrl) };
        foreach (var path in new[] { "/reconciliation", "/anomalies", $"/lines/{orig}/1" })
        {
            var response = await anonymous.GetAsync(path);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), path);
            Assert.That(response.Headers.Location!.ToString(), Does.Contain("/login"), path);
        }
    }

    /// <summary>The one browser run: 对账 sums add up on screen, 异常线索 shows planted A01 masked, its 追溯 link opens the trace.</summary>
    [Test]
    public async Task Browser_walks_reconciliation_anomalies_and_a_trace()
    {
        Assume.That(File.Exists(ChromiumPath), $"Debian chromium is required at {ChromiumPath}");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = _server.BaseUrl, Locale = "zh-CN" });
        context.SetDefaultTimeout(90_000);
        context.SetDefaultNavigationTimeout(90_000);
        var page = await context.NewPageAsync();
        // Logged in once the browser has left /login and the next page has loaded. A lost submit on a loaded 2-core CI
        // machine is tried again rather than waited on for 90 s.
        for (int attempt = 1; ; attempt++)
        {
            await page.OpenAsync("/login");
            await page.FillAsync("input[name=name]", "reader");
            await page.FillAsync("input[type=password]", Password);
            await page.ClickAsync("form button[type=submit]");
            try
            {
                await page.WaitForPageAsync(url => !url.Contains("/login", StringComparison.Ordinal), timeout: 30_000);
                break;
            }
            catch (TimeoutException) when (attempt < 3)
            {
                TestContext.Progress.WriteLine($"login attempt {attempt} did not leave /login within 30 s; trying again");
            }
        }

        // 对账 through the nav link and the month field.
        await page.ClickAsync("header nav a[href='/reconciliation']");
        await page.FillAsync("#recon-month", "2024-09");
        await page.ClickAsync("form.filters button[type=submit]");
        await page.WaitForPageAsync(url => url.Contains("month=2024-09", StringComparison.Ordinal));
        var section = page.Locator("#recon-522726");
        static Money Yuan(string text) => Money.Parse(text.Replace(",", "", StringComparison.Ordinal).Trim());
        var totals = new Dictionary<string, Money>(StringComparer.Ordinal);
        foreach (var field in new[] { "ReceivedAmt", "PaidAmt", "FailedAmt", "ReturnedAmt", "PendingReturnAmt", "TreasuryAmt", "GrainFundAmt" })
            totals[field] = Yuan(await section.Locator($"[data-field={field}]").InnerTextAsync());
        Money Total(string field) => totals[field];
        var cells = await section.Locator("table.recon-lines tbody tr").EvaluateAllAsync<string[][]>(
            "rows => rows.map(r => Array.from(r.cells).map(c => c.innerText))");
        Money Column(int i) => cells.Aggregate(Money.Zero, (sum, r) => sum + Yuan(r[i]));
        Assert.Multiple(() =>
        {
            Assert.That(Column(3), Is.EqualTo(Total("ReceivedAmt")), "受理金额 = sum of the lines on screen");
            Assert.That(Column(4), Is.EqualTo(Total("PaidAmt")), "PaidAmt");
            Assert.That(Column(5), Is.EqualTo(Total("FailedAmt")), "FailedAmt");
            Assert.That(Column(6), Is.EqualTo(Total("ReturnedAmt")), "ReturnedAmt");
            Assert.That(Column(7), Is.EqualTo(Total("PendingReturnAmt")), "PendingReturnAmt");
            Assert.That(Total("TreasuryAmt") + Total("GrainFundAmt"), Is.EqualTo(Total("PaidAmt")));
            var dz = XDocument.Load(_dzPath).Root!;
            Assert.That(Total("PaidAmt"), Is.EqualTo(Money.Parse(dz.Element("PaidAmt")!.Value)), "the DZ_ file's PaidAmt");
        });
        AssertMasked(await page.ContentAsync(), "browser /reconciliation");

        // 异常线索 with the planted A01, then its trace.
        await page.ClickAsync("header nav a[href='/anomalies']");
        await page.FillAsync("#anomalies-from", "2024-11-01");
        await page.FillAsync("#anomalies-to", "2024-11-30");
        await page.ClickAsync("form.filters button[type=submit]");
        await page.WaitForPageAsync(url => url.Contains("from=2024-11-01", StringComparison.Ordinal));
        Assert.That(await page.InnerTextAsync("[data-rule=A01]"), Is.EqualTo("2"));
        string a01 = await page.InnerTextAsync("#rule-A01");
        Assert.That(a01, Does.Contain("**************" + LargeVoucher.IdNumber(Person)[^4..]).And.Contain("YC1101").And.Contain("YC1102"));
        AssertMasked(await page.ContentAsync(), "browser /anomalies");

        await page.ClickAsync($"#rule-A01 a.trace[href='/lines/{_a01Second}/1']");
        await page.WaitForPageAsync(url => url.EndsWith($"/lines/{_a01Second}/1", StringComparison.Ordinal));
        Assert.That(await page.InnerTextAsync("[data-field=account]"), Is.EqualTo(MaskAccount(OtherAccount)));
        Assert.That(await page.InnerTextAsync("[data-field=amount]"), Is.EqualTo("350.00"));
        Assert.That(await page.InnerTextAsync("#trace-credit"), Does.Contain("成功").And.Contain("2024-11-05"));
        AssertMasked(await page.ContentAsync(), "browser /lines");
    }

    private static string MaskAccount(string account) => BankGateway.Domain.Identity.PersonalDataMask.AccountNo(account);

    private static string StripTags(string html) => Regex.Replace(html, "<[^>]+>", "").Trim();

    [GeneratedRegex("name=\"__af\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();

    [GeneratedRegex("data-field=\"([A-Za-z0-9-]+)\"[^>]*>([^<]*)<")]
    private static partial Regex DataField();

    [GeneratedRegex("<section class=\"recon\" id=\"recon-522726\".*?</section>", RegexOptions.Singleline)]
    private static partial Regex Section();

    [GeneratedRegex("<tr data-voucher=\"([^\"]+)\">(.*?)</tr>", RegexOptions.Singleline)]
    private static partial Regex LineRow();

    [GeneratedRegex("<td[^>]*>(.*?)</td>", RegexOptions.Singleline)]
    private static partial Regex Cell();

    [GeneratedRegex("data-rule=\"(A0\\d)\">([^<]*)<")]
    private static partial Regex CountCell();

    [GeneratedRegex(@"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")]
    private static partial Regex FullIdNumber();

    [GeneratedRegex(@"(?<![0-9A-Za-z])\d{16,19}(?![0-9A-Za-z])")]
    private static partial Regex LongDigits();
}
