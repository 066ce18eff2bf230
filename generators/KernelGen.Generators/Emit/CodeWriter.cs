using System.Globalization;
using System.Text;

namespace KernelGen.Generators.Emit;

/// <summary>Indented source text. Numbers are always written with the invariant culture.</summary>
internal sealed class CodeWriter
{
    /// <summary>Hot generated methods skip tier-0 so the first steps are not 10× slow (kernel files import the namespace).</summary>
    public const string Aggressive = "[MethodImpl(MethodImplOptions.AggressiveOptimization)]";

    /// <summary><see cref="Aggressive"/> in the user's namespace, where KernelGen imports nothing.</summary>
    public const string AggressiveQualified =
        "[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]";

    /// <summary>No generated line is longer: longer ones are wrapped (after a comma, a trailing comment moved above its code).</summary>
    public const int MaxLine = 160;

    private readonly StringBuilder _text = new();
    private int _indent;

    public CodeWriter(int indent = 0) => _indent = indent;

    /// <summary>Appends text another writer produced at this indentation.</summary>
    public CodeWriter Raw(string text)
    {
        _text.Append(text);
        return this;
    }

    public CodeWriter Line(string line = "")
    {
        if (line.Length > 0) Wrapped(line, _indent * 4);
        else _text.Append('\n');
        return this;
    }

    private void Append(string line, int indent) => _text.Append(' ', indent).Append(line).Append('\n');

    /// <summary>
    /// Writes <paramref name="line"/> in lines of at most <see cref="MaxLine"/> characters: a trailing comment goes on its own line
    /// above the code; a comment wraps at spaces (keeping its // or ///); code wraps after the last comma (then before the last
    /// operator) that fits, outside string literals, continuing one level deeper. A line with no such place stays as it is.
    /// </summary>
    private void Wrapped(string line, int indent)
    {
        while (indent + line.Length > MaxLine)
        {
            int comment = CommentStart(line);
            if (comment > 0)
            {
                Wrapped(line.Substring(comment), indent);
                line = line.Substring(0, comment).TrimEnd();
                continue;
            }
            int room = MaxLine - indent;
            if (comment == 0)
            {
                string marker = line.StartsWith("///", System.StringComparison.Ordinal) ? "/// " : "// ";
                int space = line.LastIndexOf(' ', room - 1, room - marker.Length);
                if (space < 0) break;
                Append(line.Substring(0, space), indent);
                line = marker + line.Substring(space + 1);
                continue;
            }
            int cut = BreakAt(line, room);
            if (cut < 0)
            {
                // Last resort: split a plain string literal at a space, as "…" + "…" (a constant: the compiler joins it).
                int space = StringSpace(line, room - 3);
                if (space < 0) break;
                Append(line.Substring(0, space + 1) + "\" +", indent);
                line = "\"" + line.Substring(space + 1);
                if (indent == _indent * 4) indent += 4;
                continue;
            }
            Append(line.Substring(0, cut).TrimEnd(), indent);
            line = line.Substring(cut).TrimStart();
            if (indent == _indent * 4) indent += 4;
        }
        Append(line, indent);
    }

    /// <summary>The last space before <paramref name="room"/> inside a plain (not $ or @) string literal, or −1.</summary>
    private static int StringSpace(string line, int room)
    {
        int found = -1;
        bool inString = false, plain = false;
        for (int i = 0; i < line.Length && i < room; i++)
        {
            char c = line[i];
            if (inString && c == '\\') { i++; continue; }
            if (c == '"')
            {
                plain = !inString && (i == 0 || line[i - 1] != '$' && line[i - 1] != '@');
                inString = !inString;
                continue;
            }
            if (inString && plain && c == ' ' && i > 8) found = i;
        }
        return found;
    }

    /// <summary>Index of a // that starts a comment (outside string and char literals), or −1.</summary>
    private static int CommentStart(string line)
    {
        bool inString = false, inChar = false;
        for (int i = 0; i < line.Length - 1; i++)
        {
            char c = line[i];
            if ((inString || inChar) && c == '\\') { i++; continue; }
            if (!inChar && c == '"') inString = !inString;
            else if (!inString && c == '\'') inChar = !inChar;
            else if (!inString && !inChar && c == '/' && line[i + 1] == '/') return i;
        }
        return -1;
    }

    /// <summary>Where to break code to fit <paramref name="room"/>: after the last ", " outside literals, else before the last " + " or
    /// " * " or " && ", else −1.</summary>
    private static int BreakAt(string line, int room)
    {
        int comma = -1, op = -1, depth = 0;
        bool inString = false, inChar = false;
        for (int i = 0; i < line.Length - 1 && i < room; i++)
        {
            char c = line[i];
            if ((inString || inChar) && c == '\\') { i++; continue; }
            if (!inChar && c == '"') { inString = !inString; continue; }
            if (!inString && c == '\'') { inChar = !inChar; continue; }
            if (inString || inChar) continue;
            if (c == '(' || c == '[' || c == '{') depth++;
            else if (c == ')' || c == ']' || c == '}') depth--;
            if (c == ',' && line[i + 1] == ' ' && i + 1 < room) comma = i + 1;
            if (c == ' ' && i + 2 < line.Length && line[i + 2] == ' ' && (line[i + 1] == '+' || line[i + 1] == '*')) op = i + 1;
            if (c == ' ' && i + 3 < line.Length && line[i + 1] == '&' && line[i + 2] == '&' && line[i + 3] == ' ') op = i + 1;
        }
        int cut = comma > 0 ? comma : op;
        return cut > 8 ? cut : -1;
    }

    public CodeWriter Open(string header)
    {
        Line(header);
        Line("{");
        _indent++;
        return this;
    }

    public CodeWriter Open()
    {
        Line("{");
        _indent++;
        return this;
    }

    public CodeWriter Close(string suffix = "")
    {
        _indent--;
        Line("}" + suffix);
        return this;
    }

    public override string ToString() => _text.ToString();

    public static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);
    public static string Long(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Float(float value)
    {
        string s = value.ToString("R", CultureInfo.InvariantCulture);
        if (s.IndexOf('.') < 0 && s.IndexOf('E') < 0) s += ".0";
        return s + "f";
    }
}
