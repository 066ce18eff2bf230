namespace KernelGen.Generators.Emit;

/// <summary>
/// The prefix of a network's generated file names. Roslyn compares hint names ignoring case (as case-insensitive file
/// systems do), so classes Net and NET would collide (CS8785, every file of both lost). A name whose casing is not the
/// one derived from its letters alone (each dot-separated part capitalised, the rest lower case) gets a suffix from
/// its exact spelling: of all names equal ignoring case, at most one has no suffix and the others differ by it.
/// </summary>
internal static class HintNames
{
    public static string Prefix(string? ns, string className)
    {
        string prefix = (ns is null ? className : ns + "." + className).Replace("@", string.Empty);
        return IsCanonical(prefix) ? prefix : prefix + ".c" + Fnv1a(prefix).ToString("x8", System.Globalization.CultureInfo.InvariantCulture);
    }

    private static bool IsCanonical(string prefix)
    {
        bool start = true;
        foreach (char c in prefix)
        {
            if (c == '.') { start = true; continue; }
            if (char.IsLetter(c) && (start ? char.ToUpperInvariant(c) != c : char.ToLowerInvariant(c) != c)) return false;
            start = false;
        }
        return true;
    }

    private static uint Fnv1a(string s)
    {
        uint h = 2166136261;
        foreach (char c in s) h = (h ^ c) * 16777619;
        return h;
    }
}
