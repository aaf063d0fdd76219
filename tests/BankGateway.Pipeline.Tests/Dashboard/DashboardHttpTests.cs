using System.Net;
using System.Security.Claims;
using System.Text.RegularExpressions;
using BankGateway.Pipeline.Tests.Pipeline;
using BankGateway.Testing.Postgres;
using BankGateway.Worker.Dashboard;
using BankGateway.Worker.Dashboard.Pages;
using BankGateway.Worker.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Dashboard;

/// <summary>Dashboard faults found in review, over real HTTP (Kestrel, HttpClient with cookies and the antiforgery token).</summary>
[TestFixture]
[NonParallelizable]
public sealed partial class DashboardHttpTests
{
    private const string Password = "correct horse battery staple";
    private DashboardServer _server = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        var postgres = await TestDatabase.GetSharedAsync();
        _server = await DashboardServer.StartAsync(await postgres.CreateDatabaseAsync("dashboard_http"));
        var users = _server.Get<UserStore>();
        await users.AddOrUpdateAsync("op", Roles.Operator, Password, "test", CancellationToken.None);
        await users.AddOrUpdateAsync("boss", Roles.Admin, Password, "test", CancellationToken.None);
    }

    [OneTimeTearDown]
    public async Task Stop() => await _server.DisposeAsync();

    private HttpClient Client() =>
        new(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false, UseCookies = true }) { BaseAddress = new Uri(_server.BaseUrl) };

    [GeneratedRegex("<input[^>]*name=\"__af\"[^>]*value=\"([^\"]+)\"|<input[^>]*value=\"([^\"]+)\"[^>]*name=\"__af\"")]
    private static partial Regex AntiforgeryField();

    [GeneratedRegex("class=\"error\"[^>]*>([^<]*)<")]
    private static partial Regex ErrorText();

    private static async Task<HttpResponseMessage> LoginAsync(HttpClient client, string name, string password)
    {
        string form = await client.GetStringAsync("/login");
        var m = AntiforgeryField().Match(form);
        Assert.That(m.Success, "the login form carries the antiforgery token");
        string token = WebUtility.HtmlDecode(m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value);
        return await client.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["name"] = name, ["password"] = password, ["__af"] = token,
        }));
    }

    private static async Task<string> LoginErrorAsync(HttpClient client, string name, string password)
    {
        var response = await LoginAsync(client, name, password);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        return WebUtility.HtmlDecode(ErrorText().Match(await response.Content.ReadAsStringAsync()).Groups[1].Value.Trim());
    }

    // ---------------------------------------------------------------- fault 3: asset cache

    [Test]
    public async Task Unknown_asset_names_are_answered_404_and_never_cached()
    {
        using var client = Client();
        Assert.That((await client.GetAsync("/dashboard/assets/site.css")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        int cached = DashboardSetup.CachedAssetCount;

        for (int i = 0; i < 200; i++)
        {
            var response = await client.GetAsync($"/dashboard/assets/probe-{Guid.NewGuid():N}.css");
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        }

        Assert.That(DashboardSetup.CachedAssetCount, Is.EqualTo(cached), "misses do not grow the cache");
        Assert.That((await client.GetAsync("/dashboard/assets/site.css")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    // ---------------------------------------------------------------- fault 4: absolute session lifetime, polling

    private string SessionCookie(DateTimeOffset loggedIn, DateTimeOffset issued, DateTimeOffset expires)
    {
        var user = _server.Get<UserStore>().FindAsync("op", CancellationToken.None).GetAwaiter().GetResult()!;
        var options = _server.App.Services.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>().Get(CookieAuthenticationDefaults.AuthenticationScheme);
        var ticket = new AuthenticationTicket(DashboardSetup.Principal(user, loggedIn),
            new AuthenticationProperties { IssuedUtc = issued, ExpiresUtc = expires }, CookieAuthenticationDefaults.AuthenticationScheme);
        return options.TicketDataFormat.Protect(ticket);
    }

    private async Task<HttpResponseMessage> GetWithSessionAsync(string path, string cookie)
    {
        using var client = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = new Uri(_server.BaseUrl) };
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Cookie", "bg.session=" + cookie);
        return await client.SendAsync(request);
    }

    private static bool RenewsSession(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var values) && values.Any(v => v.StartsWith("bg.session=", StringComparison.Ordinal) && !v.StartsWith("bg.session=;", StringComparison.Ordinal));

    [Test]
    public async Task A_session_ends_at_its_absolute_lifetime_however_active()
    {
        var now = DateTimeOffset.UtcNow;
        Assert.That(new DashboardOptions().SessionAbsoluteHours, Is.EqualTo(8));

        var fresh = await GetWithSessionAsync("/", SessionCookie(now.AddHours(-7), now.AddMinutes(-1), now.AddMinutes(29)));
        Assert.That(fresh.StatusCode, Is.EqualTo(HttpStatusCode.OK), "7 h after the login, still active");

        // Kept alive by activity (the sliding window was renewed a minute ago), but logged in 8 h ago.
        var old = await GetWithSessionAsync("/", SessionCookie(now.AddHours(-8).AddSeconds(-5), now.AddMinutes(-1), now.AddMinutes(29)));
        Assert.That(old.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        Assert.That(old.Headers.Location!.ToString(), Does.Contain("/login"));
        var poll = await GetWithSessionAsync(DashboardSetup.SummaryPath, SessionCookie(now.AddHours(-9), now.AddMinutes(-1), now.AddMinutes(29)));
        Assert.That(poll.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task The_overviews_polling_does_not_extend_the_idle_window_but_a_page_does()
    {
        var now = DateTimeOffset.UtcNow;
        // Past half of the 30-minute window: any request the session counts as activity renews the cookie.
        string cookie = SessionCookie(now.AddMinutes(-20), now.AddMinutes(-20), now.AddMinutes(10));

        var poll = await GetWithSessionAsync(DashboardSetup.SummaryPath, cookie);
        Assert.That(poll.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(RenewsSession(poll), Is.False, "polling is not activity");

        var page = await GetWithSessionAsync("/", cookie);
        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(RenewsSession(page), Is.True, "opening a page is");
    }

    // ---------------------------------------------------------------- fault 5: lockout message, bounded lockout

    [Test]
    public async Task Unknown_user_wrong_password_and_locked_account_get_one_message()
    {
        await _server.Get<UserStore>().AddOrUpdateAsync("locked-admin", Roles.Admin, Password, "test", CancellationToken.None);
        using var client = Client();
        for (int i = 0; i < UserStore.MaxFailedLogins; i++) await LoginErrorAsync(client, "locked-admin", "wrong " + i);

        string locked = await LoginErrorAsync(client, "locked-admin", Password);
        string unknown = await LoginErrorAsync(client, "no-such-user", "whatever");
        string wrong = await LoginErrorAsync(client, "op", "wrong");

        Assert.That(locked, Is.EqualTo(LoginModel.FailedMessage));
        Assert.That(unknown, Is.EqualTo(locked), "an unknown name reads exactly like a locked account");
        Assert.That(wrong, Is.EqualTo(locked));
    }

    [TestCase(Roles.Admin)]
    [TestCase(Roles.Operator)]
    [TestCase(Roles.Viewer)]
    public async Task Lockout_ends_after_15_minutes_for_every_role(string role)
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var users = new UserStore(_server.Db, new GatewayClock(clock));
        string name = "lock-" + role;
        await users.AddOrUpdateAsync(name, role, Password, "test", CancellationToken.None);
        for (int i = 0; i < UserStore.MaxFailedLogins; i++) await users.CheckPasswordAsync(name, "wrong", CancellationToken.None);

        Assert.That((await users.CheckPasswordAsync(name, Password, CancellationToken.None)).Outcome, Is.EqualTo(LoginOutcome.Locked));
        clock.Now += TimeSpan.FromMinutes(14);
        Assert.That((await users.CheckPasswordAsync(name, Password, CancellationToken.None)).Outcome, Is.EqualTo(LoginOutcome.Locked), "tries while locked do not extend it");
        clock.Now += TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1);
        Assert.That((await users.CheckPasswordAsync(name, Password, CancellationToken.None)).Outcome, Is.EqualTo(LoginOutcome.Success));
        Assert.That(UserStore.LockoutTime, Is.EqualTo(TimeSpan.FromMinutes(15)));
    }

    // ---------------------------------------------------------------- fault 6: page numbers

    [TestCase("2147483647")]
    [TestCase("1000001")]
    [TestCase("-2147483648")]
    [TestCase("0")]
    public async Task Any_page_number_gives_a_page_not_a_500(string p)
    {
        using var client = Client();
        Assert.That((await LoginAsync(client, "op", Password)).StatusCode, Is.EqualTo(HttpStatusCode.Redirect));

        var list = await client.GetAsync($"/vouchers?p={p}");
        Assert.That(list.StatusCode, Is.EqualTo(HttpStatusCode.OK), await list.Content.ReadAsStringAsync());
        var lines = await client.GetAsync($"/vouchers/1?p={p}");
        Assert.That((int)lines.StatusCode, Is.LessThan(500), await lines.Content.ReadAsStringAsync());
        Assert.That(DashboardQueries.Offset(int.MaxValue), Is.EqualTo((long)(DashboardQueries.MaxPage - 1) * DashboardQueries.PageSize));
    }
}
