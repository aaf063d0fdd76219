namespace BankGateway.Worker.Reconciliation;

/// <summary>
/// The one place that says on which date a voucher was cleared (the ClearDate of a DZ_ line): the QS_ that listed it,
/// from <c>clearing_lines</c> (contract §13); for a voucher that table does not list (QS_ written before it existed),
/// the bureau's QS_ of the voucher's own business date when one was written and the voucher paid anything.
/// Switch here when <c>clearing_lines</c> is complete.
/// </summary>
internal static class ClearDates
{
    /// <summary>A SQL expression (type date, null when not cleared) for the voucher row aliased <paramref name="v"/>.</summary>
    public static string Of(string v) => $"""
        coalesce(
            (select cl.clear_date from clearing_lines cl where cl.voucher_id = {v}.id),
            (select cr.clear_date from clearing_requests cr
             where cr.adm_div_code = {v}.adm_div_code and cr.clear_date = {v}.business_date and {v}.status = 'COMPLETED' and {v}.paid_fen > 0))
        """;
}
