using System.Globalization;
using System.Text;
using BankGateway.Domain;
using BankGateway.Domain.Catalogue;
using BankGateway.Domain.Identity;
using BankGateway.Domain.Validation;
using BankGateway.Domain.Vouchers;
using BankGateway.Files.Formats;
using BankGateway.Files.Signing;

namespace BankGateway.Worker.Samples;

// The sample set's content, file by file: what each voucher set holds and the outcome it must produce.
public static partial class SampleSetGenerator
{
    /// <summary>Builds the files in one pass; the order of calls on the seeded <see cref="SamplePeople"/> fixes the content.</summary>
    private sealed class Builder(SampleSet set, SamplePeople people, Sm2PrivateKey financeKey, Sm2PrivateKey otherKey)
    {
        private const string Succeeded = "成功", Failed = "失败";
        private const string Sep = "2024-09";

        private static readonly DateOnly Sep27 = new(2024, 9, 27), Sep29 = new(2024, 9, 29), Sep30 = new(2024, 9, 30);

        private readonly List<AccountMasterRow> _accounts = [];
        private readonly StringBuilder _outcomes = new("凭证号,序号,状态,失败代码\r\n");
        private readonly StringBuilder _rejections = new("凭证号,代码\r\n");

        public void Run()
        {
            using (var s = File.Create(set.CatalogueCsv))
                CatalogueCsv.Write(SampleCatalogue.All, s);

            var (dibaoLines, dibaoPeople) = CleanDibao();
            var (f07Line, f08Line) = EveryFailureCode(dibaoPeople);
            DisabilityGb18030(dibaoPeople);
            GrainFund();
            Rejected();
            Redeliveries(dibaoLines);
            Reissue(f07Line, f08Line);

            using (var s = File.Create(set.AccountsCsv))
                AccountMasterCsv.Write(_accounts, s);
            File.WriteAllBytes(set.ExpectedOutcomes, Encoding.UTF8.GetBytes(_outcomes.ToString()));
            File.WriteAllBytes(set.ExpectedRejections, Encoding.UTF8.GetBytes(_rejections.ToString()));
        }

        /// <summary>a. ZF2024000123: 50 payable 低保 lines, UTF-8 without BOM.</summary>
        private (List<IssuanceLine>, List<SamplePerson>) CleanDibao()
        {
            var item = SampleCatalogue.Dibao;
            var persons = new List<SamplePerson>();
            var lines = new List<IssuanceLine>();
            for (int i = 1; i <= 50; i++)
            {
                var p = Held(idEndsWithX: i is 3 or 17 or 38);
                persons.Add(p);
                lines.Add(Line(i, p, item, Sep, people.Amount(180, 1200), people.Pick(DibaoClasses)));
            }
            WriteSet(set.Inbox, SampleCatalogue.MinZheng, item, "ZF2024000123", Sep27, Sep, lines);
            Expect("ZF2024000123", lines.Select(_ => ""));
            return (lines, persons);
        }

        private static readonly string[] DibaoClasses = ["", "A类", "B类", "C类"];

        /// <summary>b. ZF2024000124: one line per failure code F01–F15 among 10 good lines.</summary>
        private (IssuanceLine F07, IssuanceLine F08) EveryFailureCode(List<SamplePerson> paidIn123)
        {
            var item = SampleCatalogue.Dibao;
            var lines = new List<(IssuanceLine Line, string Code)>();
            int seq = 0;
            IssuanceLine Add(SamplePerson p, string code, Func<IssuanceLine, IssuanceLine>? edit = null, string remark = "")
            {
                var line = Line(++seq, p, item, Sep, people.Amount(180, 1200), remark);
                if (edit is not null) line = edit(line);
                lines.Add((line, code));
                return line;
            }

            Add(Held(), "");
            Add(Held(), "F01", l => l with { Name = "" });
            Add(Held(), "");
            Add(Held(), "F02", l => l with { IdNumber = WrongCheckChar(l.IdNumber) });
            var twice = Held();
            var first = Add(twice, "");
            Add(Held(), "F03", l => l with { AccountNo = l.AccountNo[..^1] + (char)('0' + (l.AccountNo[^1] - '0' + 1) % 10) });
            Add(Held(), "F04", l => l with { Amount = "350.0" });
            Add(Held(), "F04", l => l with { Amount = "2350.00" }, "超过单笔上限");
            Add(Held(), "");
            Add(Held(), "F05", l => l with { Period = "2024-08" }, "8月漏发");
            Add(twice, "F06", l => l with { Amount = first.Amount });
            var paid = paidIn123[4];
            var f07 = Add(paid, "F07");
            Add(Held(idEndsWithX: true), "", l => l with { IdNumber = l.IdNumber.ToLowerInvariant() }, "证件号码末位小写x");
            var f08 = Add(people.Next(), "F08");
            var namedOther = Held();
            Add(namedOther, "F09", l => l with { Name = people.OtherGivenName(namedOther) });
            var idOther = Held();
            Add(idOther, "F10", l => l with { IdNumber = people.OtherIdLike(idOther) });
            Add(Held(), "");
            Add(Held(AccountStatus.Closed), "F11");
            Add(Held(AccountStatus.Frozen), "F12");
            Add(Held(AccountStatus.Dormant), "F13");
            Add(Held(AccountStatus.Inactive), "F14");
            Add(Held(AccountStatus.Lost), "F15");
            for (int i = 0; i < 4; i++) Add(Held(), "");

            WriteSet(set.Inbox, SampleCatalogue.MinZheng, item, "ZF2024000124", Sep27, Sep, lines.Select(l => l.Line).ToList());
            Expect("ZF2024000124", lines.Select(l => l.Code));
            return (f07, f08);
        }

        /// <summary>c. ZF2024000125: 困难残疾人生活补贴 in GB18030 (a four-byte character, a comma and a quote in 备注).</summary>
        private void DisabilityGb18030(List<SamplePerson> dibaoPeople)
        {
            var item = SampleCatalogue.KunnanCanji;
            string[] remarks = ["二级视力残疾", "三级智力残疾", "一级精神残疾", "二级肢体残疾", "四级听力残疾"];
            var persons = new List<SamplePerson>
            {
                dibaoPeople[7], Held(), Held(name: "韦䶮", male: true), dibaoPeople[21], Held(), Held(), Held(), dibaoPeople[33], Held(), Held(),
            };
            var lines = new List<IssuanceLine>();
            for (int i = 0; i < persons.Count; i++)
            {
                string remark = i switch
                {
                    1 => "一级肢体残疾,低保对象",
                    5 => "持\"第二代残疾人证\"",
                    _ => people.Pick(remarks),
                };
                lines.Add(Line(i + 1, persons[i], item, Sep, Money.FromYuan(people.Pick(DisabilityYuan)), remark));
            }
            WriteSet(set.Inbox, SampleCatalogue.CanLian, item, "ZF2024000125", Sep29, Sep, lines, DetailEncoding.Gb18030);
            Expect("ZF2024000125", lines.Select(_ => ""));
        }

        private static readonly long[] DisabilityYuan = [80, 100];

        /// <summary>d. ZF2024000126: a GRAIN_FUND subsidy, UTF-8 with BOM, one line failing F08.</summary>
        private void GrainFund()
        {
            var item = SampleCatalogue.ZhongLiang;
            var lines = new List<(IssuanceLine Line, string Code)>();
            for (int i = 1; i <= 10; i++)
            {
                var p = i == 6 ? people.Next() : Held();
                int tenthsOfMu = people.Between(20, 180);
                var amount = new Money(tenthsOfMu * 128L); // 12.80 yuan per mu
                string remark = $"种粮面积{tenthsOfMu / 10}.{tenthsOfMu % 10}亩";
                lines.Add((Line(i, p, item, "2024", amount, remark), i == 6 ? "F08" : ""));
            }
            WriteSet(set.Inbox, SampleCatalogue.NongYe, item, "ZF2024000126", Sep29, "2024", lines.Select(l => l.Line).ToList(),
                bom: true);
            Expect("ZF2024000126", lines.Select(l => l.Code));
        }

        /// <summary>e. One rejected set per voucher-level code (R04 is in <see cref="Redeliveries"/>).</summary>
        private void Rejected()
        {
            // R01: signed with a key that is not the bureau's.
            var tekun = SampleCatalogue.Tekun;
            WriteSet(set.Inbox, SampleCatalogue.MinZheng, tekun, "ZF2024000201", Sep29, Sep,
                Lines(tekun, Sep, 4, () => people.Amount(600, 1200)), signer: otherKey);
            Reject("ZF2024000201", "R01");

            // R02: a line's account was changed after the voucher was signed (count and sum unchanged).
            var huli = SampleCatalogue.ZhongduCanji;
            var r02 = Lines(huli, Sep, 4, () => Money.FromYuan(people.Pick(DisabilityYuan)));
            string swapped = people.NewAccount();
            WriteSet(set.Inbox, SampleCatalogue.CanLian, huli, "ZF2024000202", Sep29, Sep, r02,
                afterDigest: bytes => Replace(bytes, r02[2].AccountNo, swapped));
            Reject("ZF2024000202", "R02");

            // R03: DetailCount says one line more than the list holds.
            var jiangli = SampleCatalogue.JihuaJiangli;
            WriteSet(set.Inbox, SampleCatalogue.WeiJian, jiangli, "ZF2024000203", Sep29, "2024",
                Lines(jiangli, "2024", 4, () => Money.FromYuan(960)), extraCount: 1);
            Reject("ZF2024000203", "R03");

            // R05: a DOCTYPE with an entity declaration (the signature is valid: the bytes are the bureau's).
            var youfu = SampleCatalogue.Youfu;
            WriteSet(set.Inbox, SampleCatalogue.TuiYi, youfu, "ZF2024000205", Sep29, Sep,
                Lines(youfu, Sep, 3, () => people.Amount(1200, 3500)),
                editXml: xml => xml
                    .Replace("?>\n<Voucher>", $"?>\n<!DOCTYPE Voucher [\n  <!ENTITY dept \"{youfu.DeptName}\">\n]>\n<Voucher>", StringComparison.Ordinal)
                    .Replace($"<DeptName>{youfu.DeptName}</DeptName>", "<DeptName>&dept;</DeptName>", StringComparison.Ordinal));
            Reject("ZF2024000205", "R05");

            // R06: the header says 身份证号 where the contract says 证件号码.
            var hulin = SampleCatalogue.HulinYuan;
            WriteSet(set.Inbox, SampleCatalogue.LinYe, hulin, "ZF2024000206", Sep29, "2024-Q3",
                Lines(hulin, "2024-Q3", 4, () => Money.FromYuan(2500)),
                beforeDigest: bytes => Replace(bytes, "序号,姓名,证件号码,", "序号,姓名,身份证号,"));
            Reject("ZF2024000206", "R06");

            // R07: 临时救助 is not a one-card catalogue item.
            var linshi = new CatalogueEntry(StYear, "县级", SampleCatalogue.MinZheng.Name, "MZ009", SampleCatalogue.NotInCatalogue,
                FundChannel.TREASURY, "按次", null);
            WriteSet(set.Inbox, SampleCatalogue.MinZheng, linshi, "ZF2024000207", Sep29, Sep,
                Lines(linshi, Sep, 3, () => people.Amount(500, 1500)));
            Reject("ZF2024000207", "R07");
        }

        /// <summary>ZF2024000123 again: identical bytes (acknowledged, not re-posted), then with one amount changed (R04).</summary>
        private void Redeliveries(List<IssuanceLine> dibaoLines)
        {
            const string no = "ZF2024000123";
            foreach (var name in new[] { FileNames.Voucher(AdmDivCode, no), FileNames.Voucher(AdmDivCode, no) + ".sig", FileNames.IssuanceList(AdmDivCode, no) })
                File.Copy(Path.Combine(set.Inbox, name), Path.Combine(set.InboxIdentical, name));

            var changed = dibaoLines.ToList();
            changed[^1] = changed[^1] with { Amount = (Money.Parse(changed[^1].Amount) + Money.FromYuan(50)).ToString(), Remark = "调整后金额" };
            WriteSet(set.InboxRedelivery, SampleCatalogue.MinZheng, SampleCatalogue.Dibao, no, Sep27, Sep, changed);
            Reject(no, "R04");
        }

        /// <summary>f. ZF2024000301 re-issues the F08 line (account opened since: paid) and the F07 line (paid before: F07 again).</summary>
        private void Reissue(IssuanceLine f07, IssuanceLine f08)
        {
            var opened = new AccountMasterRow(f08.AccountNo, f08.Name, f08.IdNumber, AccountStatus.Normal, Money.Zero, 0);
            using (var s = File.Create(set.AccountsFixCsv))
                AccountMasterCsv.Write([opened], s);

            var lines = new List<IssuanceLine>
            {
                f08 with { FileLine = 2, SeqNo = "1", OrigVoucherNo = "ZF2024000124", OrigSeqNo = f08.SeqNo, Remark = "账户已开立，补发" },
                f07 with { FileLine = 3, SeqNo = "2", OrigVoucherNo = "ZF2024000124", OrigSeqNo = f07.SeqNo, Remark = "补发" },
            };
            WriteSet(set.InboxReissue, SampleCatalogue.MinZheng, SampleCatalogue.Dibao, "ZF2024000301", Sep30, Sep, lines,
                reissueOf: "ZF2024000124");
            Expect("ZF2024000301", ["", "F07"]);
        }

        private List<IssuanceLine> Lines(CatalogueEntry item, string period, int count, Func<Money> amount)
        {
            var lines = new List<IssuanceLine>();
            for (int i = 1; i <= count; i++) lines.Add(Line(i, Held(), item, period, amount()));
            return lines;
        }

        private SamplePerson Held(AccountStatus status = AccountStatus.Normal, bool idEndsWithX = false, string? name = null, bool? male = null)
        {
            var p = people.Next(idEndsWithX, name, male);
            var balance = people.Balance();
            // A closed account holds nothing.
            _accounts.Add(new AccountMasterRow(p.AccountNo, p.Name, p.IdNumber, status, status == AccountStatus.Closed ? Money.Zero : balance, 0));
            return p;
        }

        private static IssuanceLine Line(int seq, SamplePerson p, CatalogueEntry item, string period, Money amount, string remark = "") =>
            new(seq + 1, seq.ToString(CultureInfo.InvariantCulture), p.Name, p.IdNumber, p.AccountNo, item.DeptName, item.SubsidyName,
                amount.ToString(), period, p.Phone, "", "", remark);

        private static string WrongCheckChar(string id)
        {
            char right = ResidentId.ComputeCheckChar(id.AsSpan(0, 17));
            char wrong = right switch { 'X' => '0', '9' => 'X', _ => (char)(right + 1) };
            return id[..17] + wrong;
        }

        /// <summary>Writes <c>QC_</c>, <c>PV_</c> and <c>PV_.sig</c> of one voucher into <paramref name="dir"/>.</summary>
        private void WriteSet(string dir, SampleDept dept, CatalogueEntry item, string voucherNo, DateOnly vouDate, string period,
            IReadOnlyList<IssuanceLine> lines, DetailEncoding encoding = DetailEncoding.Utf8, bool bom = false, string? reissueOf = null,
            Sm2PrivateKey? signer = null, Func<byte[], byte[]>? beforeDigest = null, Func<byte[], byte[]>? afterDigest = null,
            int extraCount = 0, Func<string, string>? editXml = null)
        {
            byte[] detail;
            using (var ms = new MemoryStream())
            {
                using (var w = new IssuanceListWriter(ms, encoding, bom, leaveOpen: true))
                    foreach (var line in lines) w.Write(line);
                detail = ms.ToArray();
            }
            if (beforeDigest is not null) detail = beforeDigest(detail);
            string sm3 = Sm3.HashHex(detail);
            if (afterDigest is not null) detail = afterDigest(detail);

            // R03 sums what each line reports: "350.0" counts as 350.00, an empty or unreadable amount as 0.
            long fen = lines.Sum(l => ReportedAmount.Fen(l.Amount) ?? 0);
            string detailFile = FileNames.IssuanceList(AdmDivCode, voucherNo);
            bool grain = item.FundChannel == FundChannel.GRAIN_FUND;
            var voucher = new Voucher(
                VtCode: "5201",
                AdmDivCode: AdmDivCode,
                StYear: StYear,
                VoucherNo: voucherNo,
                VouDate: vouDate,
                DeptCode: dept.Code,
                DeptName: dept.Name,
                SubsidyCode: item.SubsidyCode,
                SubsidyName: item.SubsidyName,
                Period: period,
                PayAcctNo: dept.PayAcctNo,
                PayAcctName: dept.PayAcctName,
                FundChannel: item.FundChannel,
                ReturnAcctNo: grain ? "2401009900000002" : "2401009900000001",
                ReturnAcctName: grain ? "独山县财政局粮食风险基金专户" : "独山县财政局国库单一账户",
                PayAmt: new Money(fen),
                DetailCount: lines.Count + extraCount,
                DetailFile: detailFile,
                DetailFileSm3: sm3,
                DetailEncoding: encoding,
                ReissueOf: reissueOf);

            byte[] xml;
            using (var ms = new MemoryStream())
            {
                VoucherXml.Write(voucher, ms);
                xml = ms.ToArray();
            }
            if (editXml is not null)
            {
                string text = Encoding.UTF8.GetString(xml);
                string edited = editXml(text);
                if (edited == text) throw new InvalidOperationException($"the XML edit of {voucherNo} changed nothing");
                xml = Encoding.UTF8.GetBytes(edited);
            }

            File.WriteAllBytes(Path.Combine(dir, detailFile), detail);
            string xmlPath = Path.Combine(dir, FileNames.Voucher(AdmDivCode, voucherNo));
            File.WriteAllBytes(xmlPath, xml);
            SignatureFile.Write(xmlPath, signer ?? financeKey);
        }

        private static byte[] Replace(byte[] utf8, string from, string to)
        {
            string text = Encoding.UTF8.GetString(utf8);
            int at = text.IndexOf(from, StringComparison.Ordinal);
            if (at < 0) throw new InvalidOperationException($"'{from}' not found in the detail file");
            return Encoding.UTF8.GetBytes(string.Concat(text.AsSpan(0, at), to, text.AsSpan(at + from.Length)));
        }

        private void Expect(string voucherNo, IEnumerable<string> codes)
        {
            int seq = 0;
            foreach (var code in codes)
                _outcomes.Append(CultureInfo.InvariantCulture, $"{voucherNo},{++seq},{(code.Length == 0 ? Succeeded : Failed)},{code}\r\n");
        }

        private void Reject(string voucherNo, string code) => _rejections.Append(CultureInfo.InvariantCulture, $"{voucherNo},{code}\r\n");
    }
}
