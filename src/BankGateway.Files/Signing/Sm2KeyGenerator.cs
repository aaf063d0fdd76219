using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace BankGateway.Files.Signing;

/// <summary>Makes fresh SM2 key pairs on the SM2 recommended curve.</summary>
public static class Sm2KeyGenerator
{
    /// <summary>A new random SM2 private key (its <see cref="Sm2PrivateKey.PublicKey"/> is the pair's public half).</summary>
    public static Sm2PrivateKey Generate()
    {
        var generator = new ECKeyPairGenerator();
        generator.Init(new ECKeyGenerationParameters(Sm2Curve.Domain, new SecureRandom()));
        var pair = generator.GenerateKeyPair();
        return new Sm2PrivateKey(((ECPrivateKeyParameters)pair.Private).D);
    }
}
