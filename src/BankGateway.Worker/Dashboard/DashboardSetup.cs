using System.Reflection;
using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ApplicationParts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace BankGateway.Worker.Dashboard;

/// <summary>
/// The operators' dashboard on the worker's web host: Razor Pages under <c>Dashboard/Pages</c>, cookie
/// login, roles, antiforgery on every POST, a same-origin check, security headers, the polled summary
/// endpoint and the static assets (embedded, so the data centre needs no CDN). The host registers the
/// gateway core (NpgsqlDataSource, GatewayClock, GatewaySettings, the stages) before calling
/// <see cref="AddDashboard"/>, and maps /health and /metrics itself (anonymous).
/// </summary>
public static class DashboardSetup
{
    public const string LoginPath = "/login";
    public const string SummaryPath = "/dashboard/summary.json";
    public const string AssetsPath = "/dashboard/assets";

    /// <summary>Registers pages, authentication, authorization, antiforgery and the dashboard's services.</summary>
    public static void AddDashboard(WebApplicationBuilder builder)
    {
        var options = DashboardOptions.From(builder.Configuration);
        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton<DashboardQueries>();
        services.AddSingleton<StatementQueries>();
        services.AddSingleton<UserStore>();
        services.AddSingleton<VoucherActions>();
        services.AddSingleton<DualControl>();

        services.AddRazorPages(o =>
        {
            o.RootDirectory = "/Dashboard/Pages";
            o.Conventions.AuthorizeFolder("/");
            o.Conventions.AllowAnonymousToPage("/Login");
            o.Conventions.AuthorizeFolder("/Admin", Roles.CanManageUsers);
        }).ConfigureApplicationPartManager(parts =>
        {
            // The pages are compiled into the worker: found by default when it is the entry assembly,
            // added here when another host (a test) builds the web application.
            var worker = typeof(DashboardSetup).Assembly;
            if (parts.ApplicationParts.Any(p => p.Name == worker.GetName().Name)) return;
            foreach (var part in ApplicationPartFactory.GetApplicationPartFactory(worker).GetApplicationParts(worker))
                parts.ApplicationParts.Add(part);
        });
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "bg.af";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.FormFieldName = "__af";
            o.HeaderName = null;
        });
        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(o =>
        {
            o.Cookie.Name = "bg.session";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.LoginPath = LoginPath;
            o.LogoutPath = "/logout";
            o.AccessDeniedPath = "/denied";
            o.ExpireTimeSpan = TimeSpan.FromMinutes(options.SessionMinutes);
            o.SlidingExpiration = true;
            o.Events = new CookieAuthenticationEvents
            {
                // The pages' background polling of the summary is not activity: it never extends the idle window.
                OnCheckSlidingExpiration = context =>
                {
                    if (context.Request.Path.StartsWithSegments(SummaryPath)) context.ShouldRenew = false;
                    return Task.CompletedTask;
                },
                // A forbidden action is refused with 403 (contract §11), never silently redirected.
                OnRedirectToAccessDenied = async context =>
                {
                    context.Response.StatusCode = StatusCodes.Status403Forbidden;
                    context.Response.ContentType = "text/html; charset=utf-8";
                    await context.Response.WriteAsync(Forbidden);
                },
                // JSON and asset requests get 401 rather than a login page they cannot show.
                OnRedirectToLogin = context =>
                {
                    if (context.Request.Path.StartsWithSegments("/dashboard"))
                        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    else
                        context.Response.Redirect(context.RedirectUri);
                    return Task.CompletedTask;
                },
                // A removed user, or a changed role or password, ends the sessions issued before.
                // A session also ends SessionAbsoluteHours after the login, however active (issued-at claim).
                OnValidatePrincipal = async context =>
                {
                    string? name = context.Principal?.Identity?.Name;
                    string? stamp = context.Principal?.FindFirst(StampClaim)?.Value;
                    bool expired = !long.TryParse(context.Principal?.FindFirst(IssuedAtClaim)?.Value, out long issued)
                        || DateTimeOffset.UtcNow - DateTimeOffset.FromUnixTimeSeconds(issued) >= TimeSpan.FromHours(options.SessionAbsoluteHours);
                    var user = name is null || expired ? null : await context.HttpContext.RequestServices.GetRequiredService<UserStore>().FindAsync(name, context.HttpContext.RequestAborted);
                    if (user is null || user.Stamp != stamp)
                    {
                        context.RejectPrincipal();
                        await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
                    }
                },
            };
        });
        services.AddAuthorizationBuilder()
            .AddPolicy(Roles.CanAct, p => p.RequireRole(Roles.Operator, Roles.Admin))
            .AddPolicy(Roles.CanManageUsers, p => p.RequireRole(Roles.Admin));
    }

    public const string StampClaim = "bg:stamp";

    /// <summary>When the login happened (Unix seconds, UTC): bounds the session's whole lifetime.</summary>
    public const string IssuedAtClaim = "bg:iat";

    /// <summary>The principal of a logged-in operator: name, role, the account's stamp and the login time.</summary>
    public static ClaimsPrincipal Principal(DashboardUser user, DateTimeOffset? issuedAt = null) => new(new ClaimsIdentity(
        [new Claim(ClaimTypes.Name, user.Name), new Claim(ClaimTypes.Role, user.Role), new Claim(StampClaim, user.Stamp),
         new Claim(IssuedAtClaim, (issuedAt ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture))],
        CookieAuthenticationDefaults.AuthenticationScheme, ClaimTypes.Name, ClaimTypes.Role));

    /// <summary>True for operators and admins: the only roles that may act.</summary>
    public static bool CanAct(ClaimsPrincipal user) => user.IsInRole(Roles.Operator) || user.IsInRole(Roles.Admin);

    /// <summary>Adds the security middleware and maps the pages, the summary endpoint and the assets.</summary>
    public static void MapDashboard(WebApplication app)
    {
        app.Use(SecurityHeaders);
        app.Use(SameOriginPosts);
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapRazorPages();
        app.MapGet(SummaryPath, async (HttpContext http, DashboardQueries queries, string? ids) =>
        {
            var list = (ids ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)
                .Select(s => long.TryParse(s, out var n) ? n : 0).Where(n => n > 0).Distinct().ToList();
            http.Response.Headers.CacheControl = "no-store";
            return Microsoft.AspNetCore.Http.Results.Json(await queries.SummaryAsync(list, http.RequestAborted));
        }).RequireAuthorization();
        app.MapGet(AssetsPath + "/{name}", (string name) =>
        {
            var asset = Asset(name);
            return asset is null ? Microsoft.AspNetCore.Http.Results.NotFound() : Microsoft.AspNetCore.Http.Results.File(asset.Value.Bytes, asset.Value.ContentType);
        }).AllowAnonymous();
    }

    private static readonly Dictionary<string, (byte[] Bytes, string ContentType)?> Assets = new(StringComparer.Ordinal);

    /// <summary>How many asset names are cached (tests: misses must not be).</summary>
    internal static int CachedAssetCount
    {
        get
        {
            lock (Assets) return Assets.Count;
        }
    }

    internal static (byte[] Bytes, string ContentType)? Asset(string name)
    {
        lock (Assets)
        {
            if (Assets.TryGetValue(name, out var known)) return known;
            string? type = Path.GetExtension(name) switch
            {
                ".css" => "text/css; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                ".svg" => "image/svg+xml",
                _ => null,
            };
            (byte[], string)? found = null;
            if (type is not null && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-'))
            {
                using var stream = typeof(DashboardSetup).Assembly.GetManifestResourceStream("BankGateway.Worker.Dashboard.Assets." + name);
                if (stream is not null)
                {
                    using var copy = new MemoryStream();
                    stream.CopyTo(copy);
                    found = (copy.ToArray(), type);
                }
            }
            // Only hits are kept: the known assets are few, while anyone may ask for any number of unknown names.
            if (found is not null) Assets[name] = found;
            return found;
        }
    }

    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

    private static Task SecurityHeaders(HttpContext context, Func<Task> next)
    {
        context.Response.OnStarting(() =>
        {
            var h = context.Response.Headers;
            h.ContentSecurityPolicy = ContentSecurityPolicy;
            h.XContentTypeOptions = "nosniff";
            h.XFrameOptions = "DENY";
            h["Referrer-Policy"] = "no-referrer";
            h["Cross-Origin-Opener-Policy"] = "same-origin";
            h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()";
            // Pages carry personal data (masked) and tokens: never cached.
            if (!context.Request.Path.StartsWithSegments(AssetsPath)) h.CacheControl = "no-store";
            else h.CacheControl = "private, max-age=300";
            return Task.CompletedTask;
        });
        return next();
    }

    /// <summary>
    /// Refuses a state-changing request from another origin (403) before anything else runs: the
    /// browser's Origin (or, failing that, Sec-Fetch-Site) must name this very site. Antiforgery
    /// tokens are checked as well, by the pages.
    /// </summary>
    private static async Task SameOriginPosts(HttpContext context, Func<Task> next)
    {
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method) && !HttpMethods.IsOptions(context.Request.Method))
        {
            string? origin = context.Request.Headers.Origin;
            string self = $"{context.Request.Scheme}://{context.Request.Host}";
            string? site = context.Request.Headers["Sec-Fetch-Site"];
            // Under Referrer-Policy: no-referrer browsers send "Origin: null" for their own forms; then
            // Sec-Fetch-Site (set by the browser, not by pages) tells whether the form was ours.
            bool foreign = origin is not null && origin != "null"
                ? !string.Equals(origin, self, StringComparison.OrdinalIgnoreCase)
                : site is "cross-site" or "same-site";
            if (foreign)
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.WriteAsync("403 跨站请求被拒绝 (cross-origin request refused)");
                return;
            }
        }
        await next();
    }

    private const string Forbidden = """
        <!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>无权操作</title>
        <link rel="stylesheet" href="/dashboard/assets/site.css"></head>
        <body><main class="page"><h1>403 无权操作</h1><p>您的角色不能执行此操作。</p><p><a href="/">返回概览</a></p></main></body></html>
        """;
}
