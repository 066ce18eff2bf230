using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.Loader;
using FsCheck;
using FsCheck.Fluent;
using KernelGen.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace KernelGen.Tests;

/// <summary>
/// Shapes are compile-time constants, so random shapes need random programs: FsCheck draws a network
/// (layer sizes 1..300, so every tail of 4, 8 and 16 lanes occurs; batch 1..16; activations; loss),
/// the generator compiles it in memory, and every width is compared with the oracle on random rows.
/// </summary>
public class RandomShapeTests
{
    private static readonly MetadataReference[] References = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
        .Split(Path.PathSeparator)
        .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal))
        .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
        .Append(MetadataReference.CreateFromFile(typeof(NetworkAttribute).Assembly.Location))
        .ToArray();

    private static readonly string[] Activations = { "ReLU", "Sigmoid", "Tanh", "Identity" };

    public sealed record Shape(int Inputs, int Hidden, int Outputs, int Batch, int Act, bool Mse, bool Bias)
    {
        public string Source() => string.Create(CultureInfo.InvariantCulture, $$"""
            using KernelGen;
            [Network(Inputs = {{Inputs}}, BatchSize = {{Batch}}, Seed = 1)]
            [Dense({{Hidden}}, Bias = {{(Bias ? "true" : "false")}})]
            [Activation(Act.{{Activations[Act]}})]
            [Dense({{Outputs}})]
            [{{(Mse ? "MeanSquaredError" : "SoftmaxCrossEntropy")}}]
            [Sgd(LearningRate = 0.01f)]
            public partial class RandomNet;
            """);
    }

    private static Type Compile(Shape shape)
    {
        var parse = new CSharpParseOptions(LanguageVersion.CSharp12);
        var compilation = CSharpCompilation.Create("RandomNet" + Guid.NewGuid().ToString("N"),
            new[] { CSharpSyntaxTree.ParseText(shape.Source(), parse) }, References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release));
        CSharpGeneratorDriver.Create(new[] { new NetworkGenerator().AsSourceGenerator() }, parseOptions: parse)
            .RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out var diagnostics);
        Assert.Empty(diagnostics);
        using var stream = new MemoryStream();
        var emitted = output.Emit(stream);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        stream.Position = 0;
        var context = new AssemblyLoadContext(null, isCollectible: true);
        return context.LoadFromStream(stream).GetType("RandomNet")!;
    }

    [Fact]
    public void Random_shapes_at_every_width_match_the_oracle()
    {
        Gen<Shape> shapes =
            from inputs in Gen.Choose(1, 300)
            from hidden in Gen.Choose(1, 300)
            from outputs in Gen.Choose(1, 40)
            from batch in Gen.Choose(1, 16)
            from act in Gen.Choose(0, Activations.Length - 1)
            from mse in Gen.Elements(false, true)
            from bias in Gen.Elements(true, true, false)
            select new Shape(inputs, hidden, mse ? outputs : Math.Max(2, outputs), batch, act, mse, bias); // softmax needs 2+ (KG0104)
        Prop.ForAll(shapes.ToArbitrary(), shape =>
        {
            Type type = Compile(shape);
            var r = new Random(shape.GetHashCode());
            foreach (Isa isa in Networks.Widths)
            {
                using var net = (INetwork)Activator.CreateInstance(type, new object?[] { null, isa, null })!;
                Assert.Equal(isa, net.Isa);
                float[] parameters = Values.Parameters(net.Info, r);
                for (int trial = 0; trial < 3; trial++)
                {
                    int rows = r.Next(1, shape.Batch + 1);
                    Oracle.Matches(net, parameters, Values.Mixed(r, rows * shape.Inputs), rows, r);
                }
            }
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(12));
    }
}
