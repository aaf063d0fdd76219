using System.Globalization;
using System.Text;
using BankGateway.Domain;
using BankGateway.Domain.Catalogue;
using BankGateway.Domain.Identity;
using BankGateway.Domain.Vouchers;
using BankGateway.Files.Formats;
using BankGateway.Files.Signing;

namespace BankGateway.Testing.Vouchers;

/// <summary>
/// Builds an N-line voucher set (PV_, .sig, QC_) and an account master of 2·N accounts, N of them
/// credited, for crash tests and benchmarks. Every line is payable; amounts vary so sums mean something.
/// </summary>
public static class LargeVoucher
{
    public const string AdmDivCode = "522726";
    public const string DeptName = "独山县民政局";
    public const string SubsidyName = "城乡居民最低生活保障金";
    public const string Period = "2024-09";

    public static readonly CatalogueEntry Entry = new(2024, "县级", DeptName, "MZ001", SubsidyName, FundChannel.TREASURY, "按月", Money.FromYuan(5000));

    public sealed record Built(string VoucherPath, string DetailPath, string AccountsPath, string CataloguePath, Voucher Voucher, long TotalFen);

    /// <summary>Account number i (19 digits, Luhn-valid) and resident ID i (valid check char).</summary>
    public static string Account(long i)
    {
        string body = "621799" + i.ToString("D12", CultureInfo.InvariantCulture);
        return body + BankAccountNumber.ComputeLuhnDigit(body);
    }

    public static string IdNumber(long i)
    {
        // Birth dates cycle through real days of 1950–1999; the sequence makes each ID unique.
        var birth = new DateOnly(1950, 1, 1).AddDays((int)(i % 18_000));
        string first17 = AdmDivCode + birth.ToString("yyyyMMdd", CultureInfo.InvariantCulture) + (i / 18_000 % 1000).ToString("D3", CultureInfo.InvariantCulture);
        return first17 + ResidentId.ComputeCheckChar(first17);
    }

    public static string Name(long i)
    {
        const string surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗";
        const string given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华";
        return new string([surnames[(int)(i % surnames.Length)], given[(int)(i / 7 % given.Length)], given[(int)(i / 3 % given.Length)]]);
    }

    public static long AmountFen(long i) => 30_000 + i % 97 * 100 + i % 7;

    /// <summary>
    /// Writes the set into <paramref name="inbox"/> and the master data into <paramref name="dataDir"/>. Lines use
    /// accounts and people <paramref name="firstAccount"/> onwards, so several vouchers can pay distinct people.
    /// </summary>
    public static Built Write(string inbox, string dataDir, int lines, Sm2PrivateKey financeKey, string voucherNo = "ZF2024900001", int accountMultiple = 2,
        long firstAccount = 1, string admDivCode = AdmDivCode, string payAcctNo = "2401009900012345")
    {
        Directory.CreateDirectory(inbox);
        Directory.CreateDirectory(dataDir);
        string detailName = FileNames.IssuanceList(admDivCode, voucherNo);
        string detailPath = Path.Combine(inbox, detailName);
        long total = 0;
        using (var stream = new FileStream(detailPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        using (var writer = new IssuanceListWriter(stream, DetailEncoding.Utf8))
        {
            for (long i = firstAccount; i < firstAccount + lines; i++)
            {
                long fen = AmountFen(i);
                total += fen;
                writer.Write(new IssuanceLine(0, (i - firstAccount + 1).ToString(CultureInfo.InvariantCulture), Name(i), IdNumber(i), Account(i), DeptName, SubsidyName,
                    new Money(fen).ToString(), Period, "", "", "", ""));
            }
        }

        string accountsPath = Path.Combine(dataDir, "accounts.csv");
        if (accountMultiple > 0) WriteAccountMaster(accountsPath, firstAccount, (long)lines * accountMultiple);
        string cataloguePath = Path.Combine(dataDir, "catalogue.csv");
        using (var stream = File.Create(cataloguePath)) CatalogueCsv.Write([Entry], stream);

        var voucher = new Voucher("5201", admDivCode, 2024, voucherNo, new DateOnly(2024, 9, 29), "105001", DeptName, "MZ001", SubsidyName, Period,
            payAcctNo, "独山县民政局零余额账户", FundChannel.TREASURY, "2401009900000001", "独山县财政局国库单一账户",
            new Money(total), lines, detailName, Sm3.HashFileHex(detailPath), DetailEncoding.Utf8, null);
        string voucherPath = Path.Combine(inbox, FileNames.Voucher(admDivCode, voucherNo));
        using (var stream = File.Create(voucherPath)) VoucherXml.Write(voucher, stream);
        SignatureFile.Write(voucherPath, financeKey);
        return new Built(voucherPath, detailPath, accountsPath, cataloguePath, voucher, total);
    }

    /// <summary>An account master CSV of accounts <paramref name="first"/> onwards (accountMultiple 0 in <see cref="Write"/> leaves it to the caller).</summary>
    public static void WriteAccountMaster(string path, long first, long count)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        AccountMasterCsv.Write(Accounts(first, count), stream);
    }

    private static IEnumerable<AccountMasterRow> Accounts(long first, long count)
    {
        for (long i = first; i < first + count; i++)
            yield return new AccountMasterRow(Account(i), Name(i), IdNumber(i), AccountStatus.Normal, Money.FromYuan(100), i + 1);
    }
}
