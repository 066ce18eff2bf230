using System;
using System.IO;
using KernelGen.Cli.Networks;
using KernelGen.IO;
using KernelGen.Onnx;

namespace KernelGen.Cli;

/// <summary><c>kernelgen import</c> (ONNX → declaration + weights) and <c>kernelgen export</c> (checkpoint → ONNX).</summary>
internal static class OnnxCommands
{
    public static int Import(string[] args)
    {
        if (args.Length < 2 || args[1].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException("import needs a model: kernelgen import model.onnx --class Name.");
        string model = args[1];
        string? className = null, ns = null, outDir = ".";
        int? batch = null;
        for (int i = 2; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"option '{args[i]}' needs a value.");
            switch (args[i])
            {
                case "--class": className = Value(); break;
                case "--namespace": ns = Value(); break;
                case "--batch": batch = Program.PositiveInt("--batch", Value()); break;
                case "--out": outDir = Value(); break;
                default: throw new ArgumentException($"unknown option '{args[i]}' for import.");
            }
        }
        if (className is null) throw new ArgumentException("import needs --class Name (the partial class to declare).");
        if (!File.Exists(model)) throw new FileNotFoundException($"{model}: no such file.");
        (string cs, string weights) = OnnxImport.Import(model, className, outDir, ns, batch);
        Console.WriteLine($"wrote {cs}");
        Console.WriteLine($"wrote {weights}");
        return 0;
    }

    public static int Export(string[] args)
    {
        if (args.Length < 2 || args[1].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException("export needs a checkpoint: kernelgen export CHECKPOINT --out model.onnx.");
        string checkpoint = args[1];
        string? output = null;
        for (int i = 2; i < args.Length; i++)
        {
            if (args[i] == "--out" && i + 1 < args.Length) output = args[++i];
            else throw new ArgumentException($"unknown option or missing value '{args[i]}' for export.");
        }
        if (output is null) throw new ArgumentException("export needs --out model.onnx.");
        if (!File.Exists(checkpoint)) throw new FileNotFoundException($"{checkpoint}: no such file.");
        string network = Checkpoint.ReadMetadata(checkpoint).TryGetValue("network", out string? n) ? n : "";
        using INetwork net = network switch
        {
            nameof(DigitsNet) => new DigitsNet(),
            nameof(FashionMlp) => new FashionMlp(),
            nameof(FashionMlp256) => new FashionMlp256(),
            nameof(ReferenceMlp) => new ReferenceMlp(),
            _ => throw new InvalidDataException($"{checkpoint}: a checkpoint of '{network}'; the CLI knows DigitsNet, FashionMlp, FashionMlp256 and ReferenceMlp (for your own network call KernelGen.Onnx.OnnxExport.Export(net, path))."),
        };
        Checkpoint.Load(net, checkpoint);
        OnnxExport.Export(net, output);
        Console.WriteLine($"wrote {output} ({network}, opset {OnnxExport.Opset}, dynamic batch)");
        return 0;
    }
}
