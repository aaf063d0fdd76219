namespace BankGateway.Domain.Identity;

/// <summary>
/// Contract §15 masking for the anomaly list (YC_): every character but the last 4 becomes <c>*</c>
/// (<c>522701199001011234</c> → <c>**************1234</c>). A value of 4 characters or fewer is masked completely,
/// so a short value is never shown whole. Unlike <see cref="PersonalDataMask"/> (screens and logs), no head is kept.
/// </summary>
public static class TailMask
{
    private const int Kept = 4;

    /// <summary>The value with all but its last 4 characters replaced by <c>*</c>; empty for null or empty.</summary>
    public static string KeepLast4(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        if (value.Length <= Kept) return new string('*', value.Length);
        return string.Concat(new string('*', value.Length - Kept), value.AsSpan(value.Length - Kept));
    }
}
