using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using KernelGen.IO;

namespace KernelGen.Onnx;

/// <summary>The result of <see cref="OnnxImport.Read"/>: the declaration, the network it describes and its weights.</summary>
/// <param name="ClassName">The class declared.</param>
/// <param name="Source">The C# file: the attribute declaration, each attribute commented with its ONNX node(s).</param>
/// <param name="Info">The network the declaration describes (offsets as the generator lays them out).</param>
/// <param name="Weights">The weights and running statistics under checkpoint names (<see cref="Checkpoint.Tensors"/>).</param>
public sealed record ImportedModel(string ClassName, string Source, NetworkInfo Info, IReadOnlyList<SafeTensor> Weights)
{
    /// <summary>Writes <c>ClassName.cs</c> and <c>ClassName.safetensors</c> into <paramref name="directory"/>; returns both paths.</summary>
    public (string Declaration, string WeightsFile) Write(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        string cs = Path.Combine(directory, ClassName + ".cs"), st = Path.Combine(directory, ClassName + ".safetensors");
        SafeTensors.Save(st, Weights, new Dictionary<string, string>
        {
            ["format"] = "kernelgen.weights",
            ["network"] = ClassName,
            ["layers"] = Checkpoint.Signature(Info),
        });
        byte[] text = new UTF8Encoding(false).GetBytes(Source);
        AtomicFile.Write(cs, s => s.Write(text));
        return (cs, st);
    }
}
