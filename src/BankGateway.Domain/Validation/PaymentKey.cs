using BankGateway.Domain.Catalogue;
using BankGateway.Domain.Text;

namespace BankGateway.Domain.Validation;

/// <summary>
/// What "paid for this subsidy and period" means for F07 (contract §12): the department and subsidy of
/// the catalogue entry the voucher matched, plus the canonical period; never the voucher's raw header
/// text, so a U+3000 or a full-width digit in a later voucher cannot make a second key for the same
/// payment. The catalogue year is left out on purpose: a 2025 voucher paying the 2024-12 period pays
/// the same obligation as a 2024 voucher for it (decisions D43).
/// </summary>
public static class PaymentKey
{
    public static string For(CatalogueEntry entry, string period) =>
        string.Concat(CanonicalText.Of(entry.DeptName), "|", CanonicalText.Of(entry.SubsidyName), "|", CanonicalText.Of(period));
}
