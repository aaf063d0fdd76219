namespace BankGateway.Files.Signing;

/// <summary>Paths written by <see cref="KeyFiles.WriteKeyPair"/>.</summary>
/// <param name="PrivateKeyPath">The PKCS#8 private key (mode 0600 on Unix).</param>
/// <param name="PublicKeyPath">The SubjectPublicKeyInfo public key.</param>
public sealed record KeyPairFiles(string PrivateKeyPath, string PublicKeyPath);

/// <summary>Key pair files for the <c>keygen --out &lt;dir&gt;</c> command (contract §10).</summary>
public static class KeyFiles
{
    /// <summary>File name of the private key in the output folder.</summary>
    public const string PrivateKeyFileName = "private.pem";

    /// <summary>File name of the public key in the output folder.</summary>
    public const string PublicKeyFileName = "public.pem";

    /// <summary>
    /// Generates an SM2 key pair and writes <c>private.pem</c> (unencrypted PKCS#8, readable by
    /// the owner only on Unix) and <c>public.pem</c> (SPKI) into <paramref name="directory"/>,
    /// creating the folder if needed. Never overwrites: if either file exists, nothing is written.
    /// </summary>
    /// <exception cref="KeyFileException">A key file already exists, or the files cannot be written.</exception>
    public static KeyPairFiles WriteKeyPair(string directory)
    {
        string privatePath = Path.Combine(directory, PrivateKeyFileName);
        string publicPath = Path.Combine(directory, PublicKeyFileName);
        foreach (string path in new[] { privatePath, publicPath })
        {
            if (File.Exists(path))
                throw new KeyFileException($"Key file '{path}' already exists; keygen never overwrites a key.");
        }

        var key = Sm2KeyGenerator.Generate();
        Directory.CreateDirectory(directory);
        // CreateNew closes the race with a concurrent keygen; the mode is set at creation so the key is never world-readable.
        WriteNew(privatePath, key.ToPkcs8Pem(), ownerOnly: true);
        try
        {
            WriteNew(publicPath, key.PublicKey.ToPem(), ownerOnly: false);
        }
        catch
        {
            File.Delete(privatePath); // "write nothing": don't leave half a pair behind
            throw;
        }
        return new KeyPairFiles(privatePath, publicPath);
    }

    /// <summary>Group and others may neither read nor write a private key file (0600 or stricter).</summary>
    public const UnixFileMode NotForOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;

    /// <summary>
    /// Refuses a private key file that group or others may read or write (Unix only; the mode of the file a
    /// symbolic link points to counts). Call before loading any private key.
    /// </summary>
    /// <param name="path">The key file.</param>
    /// <param name="what">What the key is, for the message (e.g. "The bank's SM2 private key").</param>
    /// <exception cref="KeyFileException">The file is open to group or others.</exception>
    public static void EnsureOwnerOnly(string path, string what)
    {
        if (OperatingSystem.IsWindows() || !File.Exists(path)) return;
        var mode = File.GetUnixFileMode(path);
        if ((mode & NotForOthers) != 0)
            throw new KeyFileException(
                $"{what} {path} is readable or writable by group or others (mode {Convert.ToString((int)mode, 8).PadLeft(4, '0')}); " +
                $"it is refused. Make it owner-only: chmod 600 {path}");
    }

    /// <summary>Writes (or replaces) a private key file created owner-only (0600) on Unix, never readable by others even briefly.</summary>
    public static void WritePrivate(string path, string pem)
    {
        if (File.Exists(path)) File.Delete(path);
        WriteNew(path, pem, ownerOnly: true);
    }

    private static void WriteNew(string path, string text, bool ownerOnly)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (ownerOnly && !OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        FileStream stream;
        try
        {
            stream = new FileStream(path, options);
        }
        catch (IOException ex) when (File.Exists(path))
        {
            // Someone created it between our check and now.
            throw new KeyFileException($"Key file '{path}' already exists; keygen never overwrites a key.", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new KeyFileException($"Key file '{path}' cannot be created: {ex.Message}", ex);
        }
        try
        {
            using (stream)
            {
                stream.Write(System.Text.Encoding.ASCII.GetBytes(text));
                stream.Flush(flushToDisk: true);
            }
        }
        catch
        {
            File.Delete(path); // we created it: never leave a truncated key behind
            throw;
        }
    }
}
