using System;
using System.Globalization;
using System.IO;
using System.Linq;
using KernelGen.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace KernelGen.Generators.Tests;

public class PipelineTests
{
    public const string DigitsNet = """
        using KernelGen;

        namespace Samples;

        [Network(Inputs = 64, BatchSize = 32, Seed = 7)]
        [Dense(100, Init = Init.HeNormal)]
        [Activation(Act.ReLU)]
        [Dense(10)]
        [SoftmaxCrossEntropy]
        [Sgd(LearningRate = 0.05f)]
        public partial class DigitsNet;
        """;

    /// <summary>Covers what DigitsNet does not: global namespace, stand-alone activations, no bias, tails, MSE.</summary>
    public const string MixedRegressor = """
        using KernelGen;

        [Network(Inputs = 17, BatchSize = 4, Seed = 3)]
        [Activation(Act.Sigmoid)]
        [Dense(33, Bias = false, Init = Init.HeNormal)]
        [Activation(Act.ReLU)]
        [Activation(Act.Tanh)]
        [Dense(1)]
        [Activation(Act.Sigmoid)]
        [MeanSquaredError]
        [Sgd(LearningRate = 0.02f)]
        public partial class MixedRegressor;
        """;

    /// <summary>Issue 4's blocks: batch norm folded into a bias-free dense layer with LeakyReLU fused, dropout, maxout, PReLU, GELU, AdamW.</summary>
    public const string TechniqueNet = """
        using KernelGen;

        [Network(Inputs = 12, BatchSize = 8, Seed = 5)]
        [Dense(20, Bias = false)] [BatchNorm] [Activation(Act.LeakyReLU, Alpha = 0.1f)] [Dropout(0.25f)]
        [Dense(6)] [Maxout(2)]
        [Dense(9)] [Activation(Act.PReLU)]
        [Dense(5)] [Activation(Act.GELU)]
        [Dense(3)]
        [SoftmaxCrossEntropy]
        [Adam(WeightDecay = 1e-4f, Decoupled = true)]
        public partial class TechniqueNet;
        """;

    [Theory]
    [InlineData("DigitsNet", DigitsNet)]
    [InlineData("MixedRegressor", MixedRegressor)]
    [InlineData("TechniqueNet", TechniqueNet)]
    public void Generated_code_matches_the_snapshot(string name, string source)
    {
        GeneratorHarness.Run run = GeneratorHarness.RunGenerator(source);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilerDiagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning));
        string folder = Path.Combine(DiagnosticTests.RepositoryRoot(), "tests", "KernelGen.Generators.Tests", "Snapshots", name);
        foreach (GeneratedSourceResult file in run.Single.GeneratedSources)
        {
            string path = Path.Combine(folder, file.HintName + ".txt");
            string actual = file.SourceText.ToString();
#if UPDATE_SNAPSHOTS
            Directory.CreateDirectory(folder);
            File.WriteAllText(path, actual);
#else
            Assert.True(File.Exists(path), $"no snapshot {path}; run `dotnet test -p:UpdateSnapshots=true` and review the diff");
            Assert.Equal(File.ReadAllText(path), actual);
#endif
        }
        Assert.Equal(Directory.GetFiles(folder).Length, run.Single.GeneratedSources.Length);
    }

    [Fact]
    public void The_same_source_twice_yields_equal_models()
    {
        object Spec(string source) => GeneratorHarness.RunGenerator(source).Single.TrackedSteps[NetworkGenerator.SpecStep].Single().Outputs.Single().Value;
        object a = Spec(DigitsNet), b = Spec(DigitsNet);
        Assert.NotSame(a, b);
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, Spec(DigitsNet.Replace("Dense(10)", "Dense(11)")));
    }

    [Fact]
    public void An_unrelated_edit_leaves_the_pipeline_cached()
    {
        CSharpCompilation original = GeneratorHarness.Compilation(DigitsNet);
        GeneratorHarness.Run first = GeneratorHarness.RunGenerator(GeneratorHarness.Driver(), original);
        // The compiler hands generators the user's compilation, never one that holds their own output.
        Compilation edited = original.AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace Samples; public static class Unrelated { public static int Answer => 42; }", GeneratorHarness.ParseOptions, path: "Unrelated.cs"));
        GeneratorRunResult second = GeneratorHarness.RunGenerator(first.Driver, edited).Single;
        AssertAllCachedOrUnchanged(second, NetworkGenerator.ParseStep);
        AssertAllCachedOrUnchanged(second, NetworkGenerator.SpecStep);
        AssertAllCachedOrUnchanged(second, NetworkGenerator.EmitStep);
    }

    [Fact]
    public void Moving_the_class_re_parses_but_does_not_re_emit()
    {
        CSharpCompilation original = GeneratorHarness.Compilation(DigitsNet);
        GeneratorHarness.Run first = GeneratorHarness.RunGenerator(GeneratorHarness.Driver(), original);
        SyntaxTree tree = original.SyntaxTrees.Single();
        SyntaxTree moved = tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From("// a comment that moves every line down\n\n" + DigitsNet));
        GeneratorRunResult second = GeneratorHarness.RunGenerator(first.Driver, original.ReplaceSyntaxTree(tree, moved)).Single;
        // The edited file is parsed again (not Cached); the model it yields is equal, so nothing downstream runs.
        Assert.All(second.TrackedSteps[NetworkGenerator.ParseStep].SelectMany(s => s.Outputs), o => Assert.NotEqual(IncrementalStepRunReason.Cached, o.Reason));
        AssertAllCachedOrUnchanged(second, NetworkGenerator.SpecStep);
        AssertAllCachedOrUnchanged(second, NetworkGenerator.EmitStep);
    }

    [Fact]
    public void Emission_does_not_depend_on_the_current_culture()
    {
        string Emit() => string.Join("\n", GeneratorHarness.RunGenerator(DigitsNet).Single.GeneratedSources.Select(s => s.SourceText.ToString()));
        CultureInfo saved = CultureInfo.CurrentCulture;
        string invariant, swedish;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
            invariant = Emit();
            var sv = new CultureInfo("sv-SE");
            Assert.Equal("\u2212", sv.NumberFormat.NegativeSign); // precondition: the culture really is hostile
            Assert.Equal(",", sv.NumberFormat.NumberDecimalSeparator);
            CultureInfo.CurrentCulture = sv;
            swedish = Emit();
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }
        Assert.Equal(invariant, swedish);
        Assert.Contains("0.05f", invariant); // a decimal point, not sv-SE's comma
    }

    private static void AssertAllCachedOrUnchanged(GeneratorRunResult result, string step)
    {
        var outputs = result.TrackedSteps[step].SelectMany(s => s.Outputs).ToArray();
        Assert.NotEmpty(outputs);
        Assert.All(outputs, o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {o.Reason}"));
    }
}
