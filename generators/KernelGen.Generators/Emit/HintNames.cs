using KernelGen.Generators.Model;

namespace KernelGen.Generators.Emit;

/// <summary>
/// The prefix of a network's generated file names (<c>Namespace.Class</c>), and what keeps them unique. Roslyn compares
/// hint names ignoring case (as case-insensitive file systems do), so classes Net and NET would collide (CS8785, every
/// file of both lost). Only names that collide that way get a suffix from their exact spelling (<c>.c</c> + FNV-1a):
/// every network whose name no other differs from in case alone keeps its plain names (<c>FashionMlp.g.cs</c>).
/// </summary>
internal static class HintNames
{
    public static string Prefix(string? ns, string className)
        => (ns is null ? className : ns + "." + className).Replace("@", string.Empty);

    /// <summary><paramref name="hint"/> (which starts with <paramref name="prefix"/>), with the suffix inserted after the
    /// prefix when another name of <paramref name="all"/> equals it ignoring case.</summary>
    public static string Unique(string hint, string prefix, EquatableArray<string> all)
    {
        bool collides = false;
        foreach (string other in all)
            collides |= other != prefix && string.Equals(other, prefix, System.StringComparison.OrdinalIgnoreCase);
        return collides ? prefix + ".c" + Fnv1a(prefix).ToString("x8", System.Globalization.CultureInfo.InvariantCulture) + hint.Substring(prefix.Length) : hint;
    }

    private static uint Fnv1a(string s)
    {
        uint h = 2166136261;
        foreach (char c in s) h = (h ^ c) * 16777619;
        return h;
    }
}
