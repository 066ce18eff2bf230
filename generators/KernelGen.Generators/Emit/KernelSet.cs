using System;
using System.Collections.Generic;
using System.Linq;

namespace KernelGen.Generators.Emit;

/// <summary>
/// The kernels of one network, one copy per distinct text. A node's kernels are named by its shape signature
/// (Dense_784x256_ReLU); a second node whose kernels are the same code shares them, and one whose code differs
/// under the same signature gets the next free suffix (_2, _3, …). Comments do not count as code.
/// </summary>
internal sealed class KernelSet
{
    private readonly List<Family> _families = new();

    /// <summary>A kernel family: the kernels one node needs at every width, in one generated file.</summary>
    public sealed class Family
    {
        public Family(string name, string text, string code)
        {
            Name = name;
            Text = text;
            Code = code;
        }

        public string Name { get; }
        public string Text { get; }
        internal string Code { get; }
    }

    /// <summary>Families in the order they were first needed (layer order).</summary>
    public IReadOnlyList<Family> Families => _families;

    /// <summary>The name of the family for <paramref name="signature"/> whose code <paramref name="emit"/> writes when given that name.</summary>
    public string Add(string signature, Func<string, string> emit)
    {
        for (int k = 1; ; k++)
        {
            string name = k == 1 ? signature : signature + "_" + k.ToString(System.Globalization.CultureInfo.InvariantCulture);
            string text = emit(name);
            string code = CodeOf(text);
            Family? existing = _families.FirstOrDefault(f => f.Name == name);
            if (existing is null)
            {
                _families.Add(new Family(name, text, code));
                return name;
            }
            if (existing.Code == code) return name;
        }
    }

    private static string CodeOf(string text)
        => string.Join("\n", text.Split('\n').Where(l => !l.TrimStart().StartsWith("//", StringComparison.Ordinal)));
}
