using System;
using System.IO;
using System.Linq;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace KernelGen.Benchmarks;

/// <summary>What the generator costs a build: parse + emit of DigitsNet from a cold driver, and an
/// unrelated edit with a warm driver (the incremental cache should make that nearly free).</summary>
[MemoryDiagnoser]
public class GeneratorBenchmarks
{
    private const string Source = """
        using KernelGen;
        [Network(Inputs = 64, BatchSize = 32, Seed = 7)]
        [Dense(100, Init = Init.HeNormal)]
        [Activation(Act.ReLU)]
        [Dense(10)]
        [SoftmaxCrossEntropy]
        [Sgd(LearningRate = 0.05f)]
        public partial class DigitsNet;
        """;

    private CSharpCompilation _compilation = null!, _edited = null!;
    private GeneratorDriver _warm = null!;

    [GlobalSetup]
    public void Setup()
    {
        string tpa = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;
        var references = tpa.Split(Path.PathSeparator).Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal))
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .Append(MetadataReference.CreateFromFile(typeof(NetworkAttribute).Assembly.Location));
        var options = new CSharpParseOptions(LanguageVersion.CSharp12);
        _compilation = CSharpCompilation.Create("Bench", new[] { CSharpSyntaxTree.ParseText(Source, options) }, references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        _edited = _compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("public static class Unrelated { }", options));
        _warm = Cold().RunGenerators(_compilation);
    }

    private static GeneratorDriver Cold()
        => CSharpGeneratorDriver.Create(new KernelGen.Generators.NetworkGenerator().AsSourceGenerator());

    [Benchmark(Description = "DigitsNet: parse + emit (cold driver)")]
    public GeneratorDriver ColdRun() => Cold().RunGenerators(_compilation);

    [Benchmark(Description = "DigitsNet: unrelated edit (warm driver)")]
    public GeneratorDriver WarmRun() => _warm.RunGenerators(_edited);
}
