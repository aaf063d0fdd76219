using System.Globalization;
using BankGateway.Domain;
using BankGateway.Domain.Identity;

namespace BankGateway.Worker.Samples;

/// <summary>One made-up beneficiary: a name, a valid resident ID from Dushan (522726) and a card account.</summary>
internal sealed record SamplePerson(string Name, string IdNumber, string AccountNo, string Phone, bool Male);

/// <summary>
/// Makes realistic, unique, made-up beneficiaries from one seeded <see cref="Random"/>: the same
/// sequence of calls always yields the same people, so the sample files are reproducible byte for byte.
/// </summary>
internal sealed class SamplePeople(Random rng)
{
    /// <summary>Region code of 独山县 in the ID numbers.</summary>
    public const string Region = "522726";

    /// <summary>Card BIN-like prefix of the social-security-card accounts (19 digits with the Luhn digit).</summary>
    public const string AccountPrefix = "62179952";

    // Common Han surnames first, then surnames frequent among Buyi and Miao families in southern Guizhou.
    private static readonly string[] Surnames =
    [
        "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周",
        "莫", "韦", "蒙", "罗", "潘", "岑", "陆", "石", "龙", "覃", "欧", "熊", "杨", "吴", "王",
    ];

    private static readonly string[] MaleGiven =
    [
        "国强", "建华", "志明", "德贵", "正友", "光明", "朝富", "文军", "永福", "世忠", "昌林", "学军",
        "小龙", "家兴", "明亮", "启贵", "老幺", "正华", "荣昌", "定邦", "明坤", "金贵", "勇", "斌", "军", "超",
    ];

    private static readonly string[] FemaleGiven =
    [
        "秀英", "桂芳", "玉兰", "春梅", "小红", "金花", "美玲", "丽娟", "翠芬", "明秀", "德芬", "阿妹",
        "银花", "秀云", "玉珍", "桂香", "兰英", "正芬", "春燕", "雪梅", "芳", "燕", "敏", "娟",
    ];

    private static readonly string[] PhonePrefixes = ["135", "138", "139", "150", "151", "152", "157", "158", "159", "182", "187", "188", "198", "199"];

    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly HashSet<string> _ids = new(StringComparer.Ordinal);
    private readonly HashSet<string> _accounts = new(StringComparer.Ordinal);

    /// <summary>A new person with a unique name, ID and account.</summary>
    /// <param name="idEndsWithX">Draw until the ID's check character is <c>X</c>.</param>
    /// <param name="name">A fixed name (e.g. one with a rare character) instead of a drawn one.</param>
    /// <param name="male">A fixed sex (matching a fixed name) instead of a drawn one.</param>
    public SamplePerson Next(bool idEndsWithX = false, string? name = null, bool? male = null)
    {
        bool drawn = rng.Next(2) == 0;
        bool isMale = male ?? drawn;
        name ??= NewName(isMale);
        _names.Add(name);
        string id = NewId(isMale, idEndsWithX, birth: null);
        return new SamplePerson(name, id, NewAccount(), NewPhone(), isMale);
    }

    /// <summary>Another valid, unused ID with the same birth date and sex as <paramref name="p"/> (a relative's or a typo'd card).</summary>
    public string OtherIdLike(SamplePerson p) =>
        NewId(p.Male, false, DateOnly.ParseExact(p.IdNumber.AsSpan(6, 8), "yyyyMMdd", CultureInfo.InvariantCulture));

    /// <summary>A near-miss of <paramref name="p"/>'s name: same surname, another given name of the same sex.</summary>
    public string OtherGivenName(SamplePerson p)
    {
        var given = p.Male ? MaleGiven : FemaleGiven;
        string surname = p.Name[..1];
        while (true)
        {
            string candidate = surname + given[rng.Next(given.Length)];
            if (candidate != p.Name) return candidate;
        }
    }

    /// <summary>A new unique 19-digit account that passes the Luhn check.</summary>
    public string NewAccount()
    {
        while (true)
        {
            string body = AccountPrefix + Digits(10);
            string account = body + BankAccountNumber.ComputeLuhnDigit(body);
            if (_accounts.Add(account)) return account;
        }
    }

    /// <summary>A whole-yuan amount in [min, max], sometimes with 50 fen.</summary>
    public Money Amount(int minYuan, int maxYuan)
    {
        long yuan = rng.Next(minYuan, maxYuan + 1);
        int fen = yuan < maxYuan && rng.Next(4) == 0 ? 50 : 0;
        return Money.FromYuan(yuan, fen);
    }

    /// <summary>A uniformly drawn element.</summary>
    public T Pick<T>(IReadOnlyList<T> items) => items[rng.Next(items.Count)];

    /// <summary>A drawn integer in [min, max].</summary>
    public int Between(int min, int max) => rng.Next(min, max + 1);

    /// <summary>A balance between 0.00 and 6,000.00 yuan.</summary>
    public Money Balance() => new(rng.Next(0, 600_001));

    private string NewName(bool male)
    {
        var given = male ? MaleGiven : FemaleGiven;
        while (true)
        {
            string name = Surnames[rng.Next(Surnames.Length)] + given[rng.Next(given.Length)];
            if (!_names.Contains(name)) return name;
        }
    }

    private string NewId(bool male, bool endsWithX, DateOnly? birth)
    {
        while (true)
        {
            var date = birth ?? RandomBirthDate();
            int seq = rng.Next(0, 1000);
            // GB 11643: the 17th digit is odd for men, even for women.
            if ((seq % 2 == 1) != male) seq ^= 1;
            string first17 = Region + date.ToString("yyyyMMdd", CultureInfo.InvariantCulture) + seq.ToString("000", CultureInfo.InvariantCulture);
            char check = ResidentId.ComputeCheckChar(first17);
            if (endsWithX && check != 'X') continue;
            string id = first17 + check;
            if (_ids.Add(id)) return id;
        }
    }

    private DateOnly RandomBirthDate()
    {
        int year = rng.Next(1938, 2006);
        int month = rng.Next(1, 13);
        int day = rng.Next(1, DateTime.DaysInMonth(year, month) + 1);
        return new DateOnly(year, month, day);
    }

    private string NewPhone() =>
        rng.Next(4) == 0 ? "" : PhonePrefixes[rng.Next(PhonePrefixes.Length)] + Digits(8);

    private string Digits(int count)
    {
        Span<char> digits = stackalloc char[count];
        for (int i = 0; i < count; i++) digits[i] = (char)('0' + rng.Next(10));
        return new string(digits);
    }
}
