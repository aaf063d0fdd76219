using System.Text;
using BankGateway.Domain.Vouchers;

namespace BankGateway.Files.Formats;

/// <summary>The encodings of the contract, strict: undecodable bytes throw instead of becoming U+FFFD.</summary>
internal static class TextEncodings
{
    /// <summary>UTF-8 without BOM, throwing on invalid bytes (both directions).</summary>
    public static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static readonly Lazy<Encoding> Gb18030Lazy = new(() =>
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        return Encoding.GetEncoding("GB18030", EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);
    });

    /// <summary>GB18030 with exception fallbacks.</summary>
    public static Encoding Gb18030 => Gb18030Lazy.Value;

    public static Encoding For(DetailEncoding encoding) => encoding switch
    {
        DetailEncoding.Utf8 => Utf8,
        DetailEncoding.Gb18030 => Gb18030,
        _ => throw new ArgumentOutOfRangeException(nameof(encoding), encoding, "unknown detail encoding"),
    };

    public static string Name(DetailEncoding encoding) => encoding == DetailEncoding.Gb18030 ? "GB18030" : "UTF-8";
}
