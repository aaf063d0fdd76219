using System.Diagnostics;

namespace BankGateway.Pipeline.Tests.Pipeline;

/// <summary>Runs the finance bureau's check with stock OpenSSL exactly as the contract writes it.</summary>
internal static class OpensslCheck
{
    public static (bool Ok, string Output) Verify(string file, string publicKeyPem)
    {
        string der = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(der, Convert.FromBase64String(File.ReadAllText(file + ".sig").Trim()));
            var info = new ProcessStartInfo("openssl") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "dgst", "-sm3", "-verify", publicKeyPem, "-sigopt", "distid:1234567812345678", "-signature", der, file })
                info.ArgumentList.Add(a);
            using var p = Process.Start(info)!;
            string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode == 0 && output.Contains("Verified OK", StringComparison.Ordinal), output.Trim());
        }
        finally
        {
            File.Delete(der);
        }
    }
}
