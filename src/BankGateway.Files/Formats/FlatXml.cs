using System.Globalization;
using System.Text;
using System.Xml;
using BankGateway.Domain;
using BankGateway.Domain.Codes;
using BankGateway.Domain.Text;

namespace BankGateway.Files.Formats;

/// <summary>
/// The flat XML shape shared by the voucher and every outbound XML file (contract §3, §7): a root element
/// whose children are named text fields, plus optionally one <c>&lt;Lines&gt;</c> of empty
/// <c>&lt;Line a=".."/&gt;</c> elements. Writing goes through <see cref="XmlWriter"/> (UTF-8 without BOM,
/// declaration <c>encoding="UTF-8"</c>, two-space indent, LF) so escaping is always right; reading is
/// hardened: no DTD, no resolver, a size limit, strict UTF-8, and unknown or repeated elements refused.
/// </summary>
internal static class FlatXml
{
    /// <summary>Largest document accepted, in characters.</summary>
    public const long MaxCharacters = 1024 * 1024;

    public const string LinesElement = "Lines";
    public const string LineElement = "Line";

    private static readonly byte[] Declaration = Encoding.UTF8.GetBytes("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");

    public static XmlWriter CreateWriter(Stream stream)
    {
        stream.Write(Declaration);
        return XmlWriter.Create(stream, new XmlWriterSettings
        {
            Encoding = TextEncodings.Utf8,
            OmitXmlDeclaration = true,
            Indent = true,
            IndentChars = "  ",
            NewLineChars = "\n",
            NewLineHandling = NewLineHandling.Entitize,
            CloseOutput = false,
        });
    }

    /// <summary>Writes the root and its fields (null or empty values as empty elements), then closes nothing.</summary>
    public static void WriteFields(XmlWriter w, IEnumerable<(string Name, string? Value)> fields)
    {
        foreach (var (name, value) in fields)
        {
            w.WriteStartElement(name);
            w.WriteString(value ?? "");
            w.WriteFullEndElement();
        }
    }

    public static string Text(DateTimeOffset value) => ChinaTime.Format(value);

    public static string Text(DateOnly value) => value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Text(Money value) => value.ToString();

    /// <summary>Reads a flat document; throws <see cref="FileFormatException"/> naming the element and line.</summary>
    public static FlatDocument Read(Stream stream, string fileName, string root, IReadOnlyCollection<string> fields,
        IReadOnlyCollection<string>? lineAttributes, RejectCode code = RejectCode.None)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersInDocument = MaxCharacters,
            MaxCharactersFromEntities = 1024,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
            IgnoreWhitespace = true,
            CloseInput = false,
        };
        var doc = new FlatDocument(fileName, code);
        // Decode strictly as UTF-8 ourselves: the declaration cannot switch the encoding, invalid bytes are errors.
        using var text = new StreamReader(stream, new UTF8Encoding(true, true), detectEncodingFromByteOrderMarks: false, bufferSize: 16 * 1024, leaveOpen: true);
        XmlReader? reader = null;
        try
        {
            reader = XmlReader.Create(text, settings);
            ReadRoot(reader, doc, root, fields, lineAttributes);
            while (reader.Read())
            {
                // Anything after the root is either ignorable or an XmlException (second root).
            }
        }
        catch (XmlException ex)
        {
            throw new FileFormatException(fileName, ex.LineNumber, ex.LinePosition > 0 ? ex.LinePosition : null, null, Explain(ex), code);
        }
        catch (DecoderFallbackException)
        {
            throw new FileFormatException(fileName, LineOf(reader), null, null, "expected UTF-8 text, got undecodable bytes", code);
        }
        finally
        {
            reader?.Dispose();
        }
        return doc;
    }

    private static string Explain(XmlException ex)
    {
        var m = ex.Message;
        if (m.Contains("DTD", StringComparison.OrdinalIgnoreCase) || m.Contains("DOCTYPE", StringComparison.OrdinalIgnoreCase))
            return "expected no DOCTYPE or entity declaration, got one (refused for security)";
        if (m.Contains("MaxCharactersInDocument", StringComparison.Ordinal))
            return $"expected a document of at most {MaxCharacters:N0} characters, got a larger one";
        if (m.Contains("entity", StringComparison.OrdinalIgnoreCase))
            return "expected no entity references other than the XML predefined ones, got one";
        // Strip the ", Line x, position y." suffix: the location is already in front.
        int cut = m.IndexOf(" Line ", StringComparison.Ordinal);
        return "malformed XML: " + (cut > 0 ? m[..cut].TrimEnd(',', ' ') : m);
    }

    private static long LineOf(XmlReader? reader) => reader is IXmlLineInfo info && info.HasLineInfo() ? info.LineNumber : 0;

    private static void ReadRoot(XmlReader reader, FlatDocument doc, string root, IReadOnlyCollection<string> fields,
        IReadOnlyCollection<string>? lineAttributes)
    {
        if (reader.MoveToContent() != XmlNodeType.Element)
            throw doc.Error(LineOf(reader), null, $"expected the root element <{root}>, got no element");
        if (reader.LocalName != root || reader.NamespaceURI.Length != 0)
            throw doc.Error(LineOf(reader), null, $"expected the root element <{root}>, got <{reader.Name}>");
        RefuseAttributes(reader, doc, root);
        if (reader.IsEmptyElement) { reader.Read(); return; }
        reader.Read();
        while (true)
        {
            var type = reader.MoveToContent();
            if (type == XmlNodeType.EndElement) { reader.Read(); return; }
            if (type != XmlNodeType.Element)
                throw doc.Error(LineOf(reader), null, $"expected only child elements inside <{root}>, got text");
            string name = reader.LocalName;
            long line = LineOf(reader);
            if (reader.NamespaceURI.Length != 0)
                throw doc.Error(line, name, $"expected an element without namespace, got <{reader.Name}>");
            if (lineAttributes is not null && name == LinesElement)
            {
                if (doc.HasLines) throw doc.Error(line, name, "expected one <Lines> element, got a second one");
                ReadLines(reader, doc, lineAttributes);
                continue;
            }
            if (!fields.Contains(name))
                throw doc.Error(line, name, $"expected only the fields of <{root}>, got unknown element <{name}>");
            if (doc.Fields.ContainsKey(name))
                throw doc.Error(line, name, $"expected <{name}> once, got it twice");
            RefuseAttributes(reader, doc, name);
            doc.Fields[name] = (ReadText(reader, doc, name), line);
        }
    }

    private static void RefuseAttributes(XmlReader reader, FlatDocument doc, string element)
    {
        if (!reader.MoveToFirstAttribute()) return;
        do
        {
            if (reader.Prefix == "xmlns" || reader.Name == "xmlns") continue;
            var name = reader.Name;
            reader.MoveToElement();
            throw doc.Error(LineOf(reader), element, $"expected no attributes, got {name}=");
        } while (reader.MoveToNextAttribute());
        reader.MoveToElement();
    }

    private static string ReadText(XmlReader reader, FlatDocument doc, string name)
    {
        long line = LineOf(reader);
        if (reader.IsEmptyElement) { reader.Read(); return ""; }
        reader.Read();
        var sb = new StringBuilder();
        while (reader.NodeType is XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.Whitespace or XmlNodeType.SignificantWhitespace)
        {
            sb.Append(reader.Value);
            reader.Read();
        }
        if (reader.NodeType != XmlNodeType.EndElement)
            throw doc.Error(LineOf(reader), name, $"expected text only inside <{name}>, got <{reader.Name}>");
        reader.Read();
        // Contract §12: a control or invisible format character is refused (R05 for a voucher), never stored;
        // what is kept is the canonical form every comparison uses.
        var text = sb.ToString();
        if (CanonicalText.Forbidden(text) is { } bad)
            throw doc.Error(line, name, $"expected text without control or invisible format characters, got {CanonicalText.Describe(bad)}");
        return CanonicalText.Of(text);
    }

    private static void ReadLines(XmlReader reader, FlatDocument doc, IReadOnlyCollection<string> attributes)
    {
        doc.HasLines = true;
        if (reader.IsEmptyElement) { reader.Read(); return; }
        reader.Read();
        while (true)
        {
            var type = reader.MoveToContent();
            if (type == XmlNodeType.EndElement) { reader.Read(); return; }
            long line = LineOf(reader);
            if (type != XmlNodeType.Element || reader.LocalName != LineElement)
                throw doc.Error(line, LinesElement, $"expected only <Line/> elements inside <Lines>, got {(type == XmlNodeType.Element ? "<" + reader.Name + ">" : "text")}");
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            if (reader.MoveToFirstAttribute())
            {
                do
                {
                    if (reader.Prefix == "xmlns" || reader.Name == "xmlns") continue;
                    if (!attributes.Contains(reader.Name))
                        throw doc.Error(line, LineElement, $"expected attributes {string.Join(", ", attributes)}, got unknown attribute {reader.Name}");
                    values[reader.Name] = reader.Value;
                } while (reader.MoveToNextAttribute());
                reader.MoveToElement();
            }
            bool empty = reader.IsEmptyElement;
            reader.Read();
            if (!empty)
            {
                if (reader.MoveToContent() != XmlNodeType.EndElement)
                    throw doc.Error(line, LineElement, "expected an empty <Line/>, got content");
                reader.Read();
            }
            doc.Lines.Add(new FlatLine(values, line));
        }
    }
}

/// <summary>One <c>&lt;Line/&gt;</c> of a flat document with its attributes.</summary>
internal sealed record FlatLine(Dictionary<string, string> Attributes, long FileLine);

/// <summary>A flat document as read: field texts with their lines, and the lines.</summary>
internal sealed class FlatDocument(string fileName, RejectCode code)
{
    public string FileName { get; } = fileName;
    public Dictionary<string, (string Value, long Line)> Fields { get; } = new(StringComparer.Ordinal);
    public List<FlatLine> Lines { get; } = [];
    public bool HasLines { get; set; }

    public FileFormatException Error(long line, string? field, string problem) => new(FileName, line, null, field, problem, code);

    /// <summary>The field's text; a missing element is an error, an empty one is returned as "".</summary>
    public string Raw(string name) =>
        Fields.TryGetValue(name, out var f) ? f.Value : throw Error(0, name, $"expected the element <{name}>, got none");

    public long LineOf(string name) => Fields.TryGetValue(name, out var f) ? f.Line : 0;

    /// <summary>The field's text, which must not be empty.</summary>
    public string Required(string name)
    {
        var v = Raw(name);
        return v.Length > 0 ? v : throw Error(LineOf(name), name, "expected a value, got an empty element");
    }

    public T Parse<T>(string name, Func<string, T?> parse, string expected) where T : struct
    {
        var v = Required(name);
        return parse(v) ?? throw Error(LineOf(name), name, $"expected {expected}, got {FileFormatException.Shown(v)}");
    }

    public string Match(string name, Func<string, bool> ok, string expected)
    {
        var v = Required(name);
        return ok(v) ? v : throw Error(LineOf(name), name, $"expected {expected}, got {FileFormatException.Shown(v)}");
    }

    public Money Money(string name)
    {
        var v = Required(name);
        return Domain.Money.TryParse(v, out var m, out var error) ? m : throw Error(LineOf(name), name, $"expected yuan with two decimals (e.g. 350.00), got {FileFormatException.Shown(v)}: {error}");
    }

    public int Count(string name) => Parse(name, FieldRules.ParseCount, "a whole number (digits only)");

    public DateOnly Date(string name) => Parse(name, FieldRules.ParseDate, "a date yyyy-MM-dd");

    public DateTimeOffset Time(string name) => Parse(name, ChinaTime.TryParse, "China time yyyy-MM-ddTHH:mm:ss");

    public string LineAttribute(FlatLine line, string attribute) =>
        line.Attributes.TryGetValue(attribute, out var v) ? v : throw Error(line.FileLine, attribute, $"expected the attribute {attribute} on <Line/>, got none");

    public Money LineMoney(FlatLine line, string attribute)
    {
        var v = LineAttribute(line, attribute);
        return Domain.Money.TryParse(v, out var m, out _) ? m : throw Error(line.FileLine, attribute, $"expected yuan with two decimals, got {FileFormatException.Shown(v)}");
    }
}
