using System;
using System.Collections.Generic;

namespace KernelGen.IO;

/// <summary>The contents of a safetensors file: string metadata and tensors sorted ordinally by name.</summary>
public sealed class SafeTensorFile
{
    private readonly Dictionary<string, SafeTensor> _byName;

    internal SafeTensorFile(string source, IReadOnlyDictionary<string, string> metadata, List<SafeTensor> tensors)
    {
        Source = source;
        Metadata = metadata;
        tensors.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        Tensors = tensors;
        _byName = new Dictionary<string, SafeTensor>(StringComparer.Ordinal);
        foreach (SafeTensor t in tensors) _byName.Add(t.Name, t);
    }

    /// <summary>The file it was read from.</summary>
    public string Source { get; }
    /// <summary>The <c>__metadata__</c> entries (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }
    /// <summary>The tensors, sorted ordinally by name.</summary>
    public IReadOnlyList<SafeTensor> Tensors { get; }

    /// <summary>The tensor called <paramref name="name"/>, or null.</summary>
    public SafeTensor? Find(string name) => _byName.GetValueOrDefault(name);
}
