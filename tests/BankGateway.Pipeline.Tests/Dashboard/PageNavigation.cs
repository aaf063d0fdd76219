using Microsoft.Playwright;

namespace BankGateway.Pipeline.Tests.Dashboard;

/// <summary>
/// Every browser navigation of the dashboard tests: the navigation waits only for its commit, then the page's own
/// <c>document.readyState</c> is polled until <c>complete</c>.
/// Why not Playwright's load-state wait: on a loaded 2-core CI machine its "load" lifecycle event was missed twice
/// (once after the login submit, once after the 异常线索 filter submit). The log then showed <c>"networkidle" event
/// fired</c>, so every request had finished and the page had loaded, yet the wait ran out its 90 s. Polling the
/// document itself does not depend on that event.
/// </summary>
internal static class PageNavigation
{
    private const string Loaded = "() => document.readyState === 'complete'";
    private const float PollMilliseconds = 100;

    /// <summary>Goes to <paramref name="path"/> and returns once the new document has loaded.</summary>
    public static async Task OpenAsync(this IPage page, string path)
    {
        await page.GotoAsync(path, new PageGotoOptions { WaitUntil = WaitUntilState.Commit });
        await LoadedAsync(page, null);
    }

    /// <summary>Reloads and returns once the new document has loaded.</summary>
    public static async Task ReloadPageAsync(this IPage page)
    {
        await page.ReloadAsync(new PageReloadOptions { WaitUntil = WaitUntilState.Commit });
        await LoadedAsync(page, null);
    }

    /// <summary>Waits until the page is at a URL <paramref name="url"/> accepts and that document has loaded.</summary>
    public static async Task WaitForPageAsync(this IPage page, Func<string, bool> url, float? timeout = null)
    {
        await page.WaitForURLAsync(url, new PageWaitForURLOptions { WaitUntil = WaitUntilState.Commit, Timeout = timeout });
        await LoadedAsync(page, timeout);
    }

    private static Task LoadedAsync(IPage page, float? timeout) =>
        page.WaitForFunctionAsync(Loaded, null, new PageWaitForFunctionOptions { PollingInterval = PollMilliseconds, Timeout = timeout });
}
