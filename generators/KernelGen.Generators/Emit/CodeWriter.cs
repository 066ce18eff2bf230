using System.Globalization;
using System.Text;

namespace KernelGen.Generators.Emit;

/// <summary>Indented source text. Numbers are always written with the invariant culture.</summary>
internal sealed class CodeWriter
{
    /// <summary>Hot generated methods skip tier-0 so the first steps are not 10× slow.</summary>
    public const string Aggressive = "[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]";

    private readonly StringBuilder _text = new();
    private int _indent;

    public CodeWriter Line(string line = "")
    {
        if (line.Length > 0) _text.Append(' ', _indent * 4).Append(line);
        _text.Append('\n');
        return this;
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
