using BankGateway.Domain.Identity;
using BankGateway.Domain.Vouchers;
using BankGateway.Files.Formats;

namespace BankGateway.Benchmarks;

/// <summary>
/// Writes a realistic 统发清册: valid resident IDs (real check characters) for Dushan county (522726),
/// Luhn-valid 19-digit social-security-card accounts, common Chinese names, 独山县民政局 /
/// 城乡居民最低生活保障金 / 2024-03, amounts like 350.00. Deterministic (fixed seed).
/// </summary>
internal static class SampleListGenerator
{
    public const string Dept = "独山县民政局";
    public const string Subsidy = "城乡居民最低生活保障金";
    public const string Period = "2024-03";

    private static readonly string[] Surnames = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "罗", "韦", "潘", "欧阳", "莫", "蒙", "石"];
    private static readonly string[] Given = ["秀英", "桂兰", "建国", "志强", "明", "芳", "伟", "丽", "军", "勇", "玉兰", "德华", "小红", "国庆", "春梅", "海燕", "金花", "永福", "光荣", "文", "红", "平"];
    private static readonly string[] Amounts = ["350.00", "350.00", "350.00", "420.00", "285.50", "510.00", "175.00"];

    /// <summary>Writes <paramref name="lines"/> lines to <paramref name="path"/>; returns the total in fen.</summary>
    public static long Write(string path, long lines)
    {
        var rng = new Random(20240315);
        long totalFen = 0;
        Span<char> id = stackalloc char[18];
        Span<char> acct = stackalloc char[19];
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        using var w = new IssuanceListWriter(fs, DetailEncoding.Utf8, byteOrderMark: true);
        for (long i = 1; i <= lines; i++)
        {
            // ID: 522726 + birth date + sequence + check character.
            "522726".AsSpan().CopyTo(id);
            var birth = new DateOnly(1940, 1, 1).AddDays(rng.Next(0, 65 * 365));
            birth.TryFormat(id[6..], out _, "yyyyMMdd");
            rng.Next(0, 1000).TryFormat(id[14..], out _, "000");
            id[17] = ResidentId.ComputeCheckChar(id[..17]);
            // Account: 621700 + 12 digits + Luhn check digit.
            "621700".AsSpan().CopyTo(acct);
            for (int k = 6; k < 18; k++) acct[k] = (char)('0' + rng.Next(10));
            acct[18] = BankAccountNumber.ComputeLuhnDigit(acct[..18]);
            var amount = Amounts[rng.Next(Amounts.Length)];
            totalFen += BankGateway.Domain.Money.Parse(amount).Fen;
            var phone = rng.Next(10) < 8 ? "1" + (3 + rng.Next(7)) + rng.NextInt64(0, 1_000_000_000).ToString("000000000") : "";
            w.Write(new IssuanceLine(0, i.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Surnames[rng.Next(Surnames.Length)] + Given[rng.Next(Given.Length)],
                new string(id), new string(acct), Dept, Subsidy, amount, Period, phone, "", "", ""));
        }
        return totalFen;
    }
}
