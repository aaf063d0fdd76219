using BankGateway.Domain.Vouchers;

namespace BankGateway.Domain.Catalogue;

/// <summary>
/// One item of the year's subsidy catalogue (补贴政策清单, contract §9): only subsidies listed
/// here may be paid through the one card (R07).
/// </summary>
/// <param name="Year">年度.</param>
/// <param name="Level">层级: 中央, 省级, 州级 or 县级.</param>
/// <param name="DeptName">主管部门, the competent department.</param>
/// <param name="SubsidyCode">补贴编码.</param>
/// <param name="SubsidyName">补贴名称.</param>
/// <param name="FundChannel">资金渠道: where failed money returns.</param>
/// <param name="Frequency">发放频次 as published (e.g. 按月, 按年).</param>
/// <param name="LineCap">单笔上限: the highest amount one line may carry (F04), or null when uncapped.</param>
public sealed record CatalogueEntry(
    int Year,
    string Level,
    string DeptName,
    string SubsidyCode,
    string SubsidyName,
    FundChannel FundChannel,
    string Frequency,
    Money? LineCap)
{
    /// <summary>The four levels a catalogue item may belong to.</summary>
    public static readonly IReadOnlyList<string> Levels = ["中央", "省级", "州级", "县级"];
}
