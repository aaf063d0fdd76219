using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using BankGateway.Worker.Hosting;

namespace BankGateway.Worker.Notices;

/// <summary>
/// The SMS text template (<c>Gateway:Sms:Template</c>), the one source of truth for the notice text.
/// Named fields: <c>{subsidy}</c> 补贴名称, <c>{dept}</c> 主管部门, <c>{period}</c> 发放周期, <c>{date}</c> credit
/// (business) date <c>yyyy-MM-dd</c>, <c>{amount}</c> yuan with two decimals, <c>{last4}</c> the account's last
/// 4 digits. Every field must appear (contract §16: the text names all of them); any other <c>{name}</c> is refused.
/// The voucher-level fields are filled in C# once per voucher; the per-line fields (amount, last 4) become
/// PostgreSQL <c>format()</c> placeholders, so the posting chunk renders every text in one set-based statement.
/// </summary>
internal sealed partial class SmsTemplate
{
    public const string DefaultText = "【一卡通】您尾号{last4}的社保卡账户于{date}收到{dept}发放的{subsidy}（{period}）{amount}元。";

    public static readonly IReadOnlyList<string> Fields = ["subsidy", "amount", "date", "dept", "period", "last4"];

    /// <summary>One segment of a UCS-2 (Chinese) SMS holds 70 characters; a longer text is sent in parts of 67.</summary>
    public const int SingleSegment = 70, PartSegment = 67;

    private SmsTemplate(string text) => Text = text;

    public string Text { get; }

    /// <summary>Parses and validates; the message names the key and what is wrong.</summary>
    /// <exception cref="SettingsException">Empty, an unknown field, or a required field missing.</exception>
    public static SmsTemplate Parse(string? text, string key = "Gateway:Sms:Template")
    {
        if (string.IsNullOrWhiteSpace(text)) throw new SettingsException(key, "the SMS template is empty");
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match m in Field().Matches(text))
        {
            string name = m.Groups[1].Value;
            if (!Fields.Contains(name))
                throw new SettingsException(key, $"unknown field {{{name}}}; the fields are {string.Join(' ', Fields.Select(f => "{" + f + "}"))}");
            used.Add(name);
        }
        var missing = Fields.Where(f => !used.Contains(f)).ToList();
        if (missing.Count > 0)
            throw new SettingsException(key, $"the SMS template lacks {string.Join(' ', missing.Select(f => "{" + f + "}"))}: " +
                "every notice must name the subsidy, the amount, the date, the department, the period and the account's last 4 digits");
        return new SmsTemplate(text);
    }

    /// <summary>The full text for one credit (C#; the same result as the SQL rendering).</summary>
    public string Render(string subsidy, string dept, string period, DateOnly date, string amountYuan, string last4) =>
        Field().Replace(Text, m => m.Groups[1].Value switch
        {
            "subsidy" => subsidy,
            "dept" => dept,
            "period" => period,
            "date" => FormatDate(date),
            "amount" => amountYuan,
            "last4" => last4,
            _ => m.Value,
        });

    /// <summary>
    /// The PostgreSQL <c>format()</c> string of one voucher: its own fields filled in (with <c>%</c> doubled),
    /// <c>%1$s</c> for the amount and <c>%2$s</c> for the last 4 digits. One pass, so a name that happens to
    /// contain <c>{amount}</c> stays literal text.
    /// </summary>
    public string SqlFormat(string subsidy, string dept, string period, DateOnly date)
    {
        var sb = new StringBuilder();
        int at = 0;
        foreach (Match m in Field().Matches(Text))
        {
            sb.Append(Escape(Text[at..m.Index]));
            sb.Append(m.Groups[1].Value switch
            {
                "subsidy" => Escape(subsidy),
                "dept" => Escape(dept),
                "period" => Escape(period),
                "date" => Escape(FormatDate(date)),
                "amount" => "%1$s",
                "last4" => "%2$s",
                _ => Escape(m.Value),
            });
            at = m.Index + m.Length;
        }
        sb.Append(Escape(Text[at..]));
        return sb.ToString();
    }

    public static string FormatDate(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>Characters as the SMS platform counts them (UTF-16 units, as UCS-2).</summary>
    public static int Characters(string text) => text.Length;

    public static int Segments(string text) =>
        Characters(text) <= SingleSegment ? 1 : (Characters(text) + PartSegment - 1) / PartSegment;

    /// <summary>A typical rendering, for the start-up report of length and segments.</summary>
    public string Sample() => Render("城乡居民最低生活保障金", "独山县民政局", "2024-09", new DateOnly(2024, 9, 30), "1013.00", "6633");

    public string Describe()
    {
        string sample = Sample();
        return $"SMS template: {Characters(sample)} characters with typical values, {Segments(sample)} segment(s) " +
               $"(≤{SingleSegment} characters is 1 segment, longer texts go in parts of {PartSegment})";
    }

    private static string Escape(string s) => s.Replace("%", "%%", StringComparison.Ordinal);

    [GeneratedRegex(@"\{([A-Za-z0-9_]+)\}")]
    private static partial Regex Field();
}
