using BankGateway.Domain;
using BankGateway.Domain.Catalogue;
using BankGateway.Domain.Vouchers;

namespace BankGateway.Worker.Samples;

/// <summary>A competent department as it appears on vouchers: code, name and its zero-balance account (零余额账户).</summary>
internal sealed record SampleDept(string Code, string Name, string PayAcctNo)
{
    public string PayAcctName => Name + "零余额账户";
}

/// <summary>
/// The sample's extract of Dushan county's 2024 one-card catalogue (独财办〔2024〕3号, 57 items):
/// item names and departments as the notice and the Guizhou catalogue word them. Codes are the
/// sample's own. Only <c>实际种粮农民一次性补贴</c> returns to the grain risk fund (GRAIN_FUND): the
/// notice does not say which items do, and this is the grain-producer subsidy of the list.
/// </summary>
internal static class SampleCatalogue
{
    public const int Year = 2024;

    public static readonly SampleDept MinZheng = new("105001", "独山县民政局", "2401009900012345");
    public static readonly SampleDept CanLian = new("131001", "独山县残疾人联合会", "2401009900012388");
    public static readonly SampleDept NongYe = new("112001", "独山县农业农村局", "2401009900012401");
    public static readonly SampleDept WeiJian = new("118001", "独山县卫生健康局", "2401009900012419");
    public static readonly SampleDept TuiYi = new("121001", "独山县退役军人事务局", "2401009900012427");
    public static readonly SampleDept LinYe = new("126001", "独山县林业局", "2401009900012435");

    public static readonly CatalogueEntry Dibao = Item("中央", MinZheng, "MZ001", "城乡居民最低生活保障金", "按月", 2000);
    public static readonly CatalogueEntry Tekun = Item("中央", MinZheng, "MZ002", "特困人员救助供养金", "按月", 2500);
    public static readonly CatalogueEntry KunnanCanji = Item("中央", CanLian, "CL001", "困难残疾人生活补贴", "按月", 300);
    public static readonly CatalogueEntry ZhongduCanji = Item("中央", CanLian, "CL002", "重度残疾人护理补贴", "按月", 300);
    public static readonly CatalogueEntry GengdiDili = Item("中央", NongYe, "NY001", "耕地地力保护补贴", "按年", null);
    public static readonly CatalogueEntry ZhongLiang = Item("中央", NongYe, "NY002", "实际种粮农民一次性补贴", "按年", null, FundChannel.GRAIN_FUND);
    public static readonly CatalogueEntry JihuaJiangli = Item("中央", WeiJian, "WJ001", "农村部分计划生育家庭奖励扶助金", "按年", null);
    public static readonly CatalogueEntry Youfu = Item("中央", TuiYi, "TY001", "重点优抚对象抚恤和生活补助", "按月", null);
    public static readonly CatalogueEntry HulinYuan = Item("中央", LinYe, "LY001", "生态护林员补助", "按季", null);

    /// <summary>What 独山县民政局 pays outside the catalogue: 临时救助 is excluded from one-card issuance (R07 sample).</summary>
    public const string NotInCatalogue = "临时救助金";

    /// <summary>Every item of the sample catalogue, in file order.</summary>
    public static IReadOnlyList<CatalogueEntry> All { get; } =
    [
        Dibao,
        Tekun,
        Item("中央", MinZheng, "MZ003", "孤儿基本生活费", "按月", 2000),
        Item("中央", MinZheng, "MZ004", "事实无人抚养儿童基本生活费", "按月", 2000),
        KunnanCanji,
        ZhongduCanji,
        GengdiDili,
        ZhongLiang,
        Item("中央", NongYe, "NY003", "农机购置与应用补贴", "按批次", null),
        JihuaJiangli,
        Item("中央", WeiJian, "WJ002", "计划生育家庭特别扶助金", "按季", null),
        Item("省级", WeiJian, "WJ003", "严重精神障碍患者监护补助", "按年", null),
        Item("省级", "独山县乡村振兴局", "XC001", "跨省务工一次性交通补贴", "按年", null),
        Item("中央", "独山县乡村振兴局", "XC002", "雨露计划职业教育补助", "按学期", null),
        Item("中央", "独山县教育局", "JY001", "普通高中国家助学金", "按学期", null),
        Item("中央", "独山县教育局", "JY002", "中等职业学校国家助学金", "按学期", null),
        Youfu,
        HulinYuan,
        Item("中央", LinYe, "LY002", "森林生态效益补偿", "按年", null),
        Item("中央", LinYe, "LY003", "退耕还林补助", "按年", null),
        Item("中央", "独山县水务局", "SW001", "大中型水库移民后期扶持直补资金", "按季", null),
        Item("中央", "独山县住房和城乡建设局", "ZJ001", "农村危房改造补助", "按批次", null),
        Item("中央", "独山县应急管理局", "YJ001", "受灾人员冬春生活救助资金", "按年", null),
        Item("省级", "独山县人力资源和社会保障局", "RS001", "公益性岗位补贴", "按月", null),
        Item("省级", "中共独山县委组织部", "ZZ001", "离任村干部生活补助", "按年", null),
        Item("州级", "独山县生态移民局", "YM001", "易地扶贫搬迁后续扶持补助", "按年", null),
        Item("州级", "中国共产主义青年团独山县委员会", "TW001", "希望工程助学金", "按学期", null),
        Item("县级", MinZheng, "MZ005", "高龄老人长寿补贴", "按年", null),
    ];

    private static CatalogueEntry Item(string level, SampleDept dept, string code, string name, string frequency, int? capYuan,
        FundChannel channel = FundChannel.TREASURY) =>
        Item(level, dept.Name, code, name, frequency, capYuan, channel);

    private static CatalogueEntry Item(string level, string dept, string code, string name, string frequency, int? capYuan,
        FundChannel channel = FundChannel.TREASURY) =>
        new(Year, level, dept, code, name, channel, frequency, capYuan is { } c ? Money.FromYuan(c) : null);
}
