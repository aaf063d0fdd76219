using System.Text;

namespace BankGateway.Files.Signing;

/// <summary>
/// Detached signatures of contract §6: <c>F.sig</c> holds base64 of the DER SM2 signature of
/// F's exact bytes, on one line.
/// </summary>
/// <remarks>
/// Newline decision: we write the base64 followed by a single "\n" (no CR). That is what
/// <c>base64</c>/<c>openssl base64</c> emit, makes <c>cat F.sig</c> behave, and
/// <c>base64 -d F.sig</c> accepts it. The reader ignores all whitespace (CR, LF, spaces,
/// tabs) anywhere, so a .sig edited on Windows or written without a newline still reads.
/// </remarks>
public static class SignatureFile
{
    /// <summary>The signature path for <paramref name="file"/>: <c>file + ".sig"</c>.</summary>
    public static string SigPath(string file) => file + ".sig";

    /// <summary>
    /// Signs the exact bytes of <paramref name="file"/> and writes <see cref="SigPath"/> atomically:
    /// a temp file <c>.&lt;name&gt;.sig.tmp</c> in the same folder is flushed to disk and renamed over
    /// the target, so a reader never sees a half-written signature. An existing .sig is replaced.
    /// </summary>
    public static void Write(string file, Sm2PrivateKey key)
    {
        byte[] der;
        using (var data = Sm3.OpenSequential(file, useAsync: false))
            der = key.Sign(data);
        WriteSignature(file, der);
    }

    /// <summary>Writes <paramref name="der"/>, made over the bytes of <paramref name="file"/>, as its <c>.sig</c> (atomically, as <see cref="Write"/>).</summary>
    public static void WriteSignature(string file, byte[] der)
    {
        string sigPath = SigPath(file);
        string directory = Path.GetDirectoryName(Path.GetFullPath(sigPath))!;
        string tempPath = Path.Combine(directory, "." + Path.GetFileName(sigPath) + ".tmp");
        try
        {
            using (var temp = new FileStream(tempPath, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                temp.Write(Encoding.ASCII.GetBytes(Encode(der)));
                temp.Flush(flushToDisk: true); // the rename must not expose an empty file after a power cut
            }
            File.Move(tempPath, sigPath, overwrite: true);
        }
        catch
        {
            TryDelete(tempPath);
            throw;
        }
    }

    /// <summary>Checks <paramref name="file"/> against its <c>.sig</c> and <paramref name="key"/>, streaming the file.</summary>
    public static SignatureCheck Verify(string file, Sm2PublicKey key) => Verify(file, key, SigPath(file));

    /// <summary>As above, with the signature at <paramref name="sigPath"/> (e.g. already moved to processed/).</summary>
    public static SignatureCheck Verify(string file, Sm2PublicKey key, string sigPath)
    {
        if (!File.Exists(file))
            return new(SignatureStatus.FileMissing, $"File '{file}' not found.");
        if (!File.Exists(sigPath))
            return new(SignatureStatus.SigMissing, $"Signature '{sigPath}' not found.");

        if (!TryReadSigFile(sigPath, out byte[]? der))
            return Malformed(sigPath);

        bool valid;
        using (var data = Sm3.OpenSequential(file, useAsync: false))
            valid = key.Verify(data, der);
        return valid ? Good(file) : Bad(file, sigPath);
    }

    /// <summary>Checks <paramref name="data"/> against the text of a .sig file (for data already in memory).</summary>
    public static SignatureCheck VerifyBytes(ReadOnlySpan<byte> data, string sigText, Sm2PublicKey key, string name = "data")
    {
        if (!TryDecode(sigText, out byte[]? der))
            return Malformed($"{name}.sig");
        return key.Verify(data, der) ? Good(name) : Bad(name, $"{name}.sig");
    }

    /// <summary>The .sig text for a DER signature: base64 on one line plus "\n".</summary>
    public static string Encode(ReadOnlySpan<byte> derSignature) => Convert.ToBase64String(derSignature) + "\n";

    /// <summary>Decodes .sig text (whitespace anywhere is ignored) into a well-formed DER signature.</summary>
    /// <returns>False for bad base64 or anything that is not DER <c>SEQUENCE { r INTEGER, s INTEGER }</c>.</returns>
    public static bool TryDecode(string sigText, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? derSignature)
    {
        derSignature = null;
        var compact = new StringBuilder(sigText.Length);
        foreach (char c in sigText)
        {
            if (!char.IsWhiteSpace(c))
                compact.Append(c);
        }
        if (compact.Length == 0)
            return false;
        var buffer = new byte[compact.Length * 3 / 4 + 3];
        if (!Convert.TryFromBase64String(compact.ToString(), buffer, out int written))
            return false;
        var der = buffer.AsSpan(0, written);
        if (!Sm2Signature.IsWellFormedDer(der))
            return false;
        derSignature = der.ToArray();
        return true;
    }

    private static bool TryReadSigFile(string sigPath, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? der)
    {
        der = null;
        // A huge file cannot be a signature; don't read it into memory to find out.
        if (new FileInfo(sigPath).Length > Sm2Signature.MaxSigFileBytes)
            return false;
        return TryDecode(File.ReadAllText(sigPath, Encoding.ASCII), out der);
    }

    private static SignatureCheck Good(string file) =>
        new(SignatureStatus.Valid, $"Signature of '{file}' is valid.");

    private static SignatureCheck Bad(string file, string sigPath) =>
        new(SignatureStatus.Invalid, $"Signature '{sigPath}' does not match '{file}' with this public key (file altered, or signed with another key).");

    private static SignatureCheck Malformed(string sigPath) =>
        new(SignatureStatus.SigMalformed, $"Signature '{sigPath}' is malformed: expected base64 of a DER SEQUENCE {{ r INTEGER, s INTEGER }} on one line.");

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // best effort: a stale temp is overwritten by the next Write
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
