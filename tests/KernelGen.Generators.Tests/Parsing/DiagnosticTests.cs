using System;
using System.IO;
using System.Linq;
using KernelGen.Generators.Diagnostics;
using Microsoft.CodeAnalysis;
using Xunit;

namespace KernelGen.Generators.Tests;

/// <summary>One test per diagnostic ID: the description that triggers it, the ID, the layer named in the message.</summary>
public class DiagnosticTests
{
    private const string Valid = """
        using KernelGen;
        [Network(Inputs = 64, BatchSize = 32)]
        [Dense(100, Init = Init.HeNormal)]
        [Activation(Act.ReLU)]
        [Dense(10)]
        [SoftmaxCrossEntropy]
        [Sgd(LearningRate = 0.05f)]
        public partial class Net;
        """;

    private static Diagnostic Single(string source, string id)
    {
        GeneratorHarness.Run run = GeneratorHarness.RunGenerator(source);
        Assert.Null(run.Single.Exception);
        Diagnostic[] kg = run.GeneratorDiagnostics.Where(d => d.Id.StartsWith("KG", StringComparison.Ordinal)).ToArray();
        Diagnostic d = Assert.Single(kg, x => x.Id == id);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        // Diagnostics are stored as values (file, span, lines) so they cache; they come back as file locations.
        Assert.Equal("Source0.cs", d.Location.GetLineSpan().Path);
        Assert.True(d.Location.SourceSpan.Length > 0, "the diagnostic underlines something");
        // An invalid description emits no network: at most the placeholder class (partial, top-level classes only).
        Assert.All(run.Single.GeneratedSources, g => Assert.Contains("no network was generated", g.SourceText.ToString()));
        AssertOnlyKernelGenErrors(source);
        return d;
    }

    /// <summary>Code that uses the network, as a user's project does before a declaration goes wrong.</summary>
    private const string Usage = """
        static class Use
        {
            static float M()
            {
                using var net = new Net(seed: 3);
                float[] x = new float[Net.InputSize * Net.BatchSize], p = new float[Net.OutputSize * Net.BatchSize];
                int[] y = new int[Net.BatchSize];
                float loss = net.TrainStep(x, y) + net.ComputeGradients(x, y);
                net.ApplyUpdate();
                net.Predict(x, p);
                KernelGen.Evaluation e = net.Evaluate(x, y);
                System.Span<float> w = net.Parameters, g = net.Gradients;
                return loss + w.Length + g.Length + Net.ParameterCount + (float)e.Accuracy + Net.Info.Layers.Count + net.Step;
            }
        }
        """;

    /// <summary>The exact diagnostic set a user sees is the KG errors alone: with code that uses the network, the
    /// compilation of user code + generated code has no error (for a class that can take the placeholder).</summary>
    private static void AssertOnlyKernelGenErrors(string source)
    {
        if (!source.Contains("public partial class Net;", StringComparison.Ordinal) || source.Contains("class Outer", StringComparison.Ordinal))
            return; // not partial, nested: no placeholder is possible, the KG error says what to change
        GeneratorHarness.Run run = GeneratorHarness.RunGenerator(source, Usage);
        Diagnostic[] errors = run.CompilerDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
        // A half-typed attribute is the compiler's own error (in Source0); nothing may follow from it in the usage.
        Assert.True(errors.All(e => e.Location.GetLineSpan().Path == "Source0.cs" && !e.Id.StartsWith("CS1061", StringComparison.Ordinal)),
            "follow-on errors besides the KG diagnostics:\n" + string.Join("\n", errors.Select(e => e.ToString())));
    }

    private static string Replace(string from, string to)
    {
        Assert.Contains(from, Valid);
        return Valid.Replace(from, to);
    }

    [Fact]
    public void Valid_description_reports_nothing_and_compiles_cleanly()
    {
        GeneratorHarness.Run run = GeneratorHarness.RunGenerator(Valid);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilerDiagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning));
        // The user's class (Net.g.cs, Net.Optimizer.g.cs); the kernel class: layout and walks, one file per kernel family (named by shape), loss, update.
        Assert.Equal(new[] { "Net.Dense_100x10.g.cs", "Net.Dense_64x100_ReLU.g.cs", "Net.Layout.g.cs", "Net.Loss.g.cs", "Net.Optimizer.Kernels.g.cs", "Net.Optimizer.g.cs", "Net.g.cs" },
            run.Single.GeneratedSources.Select(s => s.HintName).OrderBy(s => s, StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public void A_layer_norm_network_reports_nothing_and_compiles_cleanly()
    {
        // Issue 13: [LayerNorm] wherever [BatchNorm] may go (after a dense layer, with its activation fused), and on the inputs.
        GeneratorHarness.Run run = GeneratorHarness.RunGenerator(Replace("[Activation(Act.ReLU)]", "[LayerNorm(Epsilon = 1e-4f)] [Activation(Act.ReLU)]")
            .Replace("[Dense(100, Init = Init.HeNormal)]", "[LayerNorm] [Dense(100, Init = Init.HeNormal)]"));
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilerDiagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning));
        string[] hints = run.Single.GeneratedSources.Select(s => s.HintName).ToArray();
        Assert.Contains("Net.LayerNorm_100_ReLU.g.cs", hints); // ReLU fused into the layer norm after the dense layer
        Assert.Contains("Net.LayerNorm_64.g.cs", hints);
        foreach (GeneratedSourceResult file in run.Single.GeneratedSources)
            Assert.All(file.SourceText.ToString().Split('\n'), l => Assert.True(l.Length <= 160, $"{file.HintName}: {l}"));
    }

    [Fact]
    public void KG0001_class_not_partial()
        => Assert.Contains("'Net' must be declared 'partial'", Single(Replace("public partial class Net;", "public class Net;"), "KG0001").GetMessage());

    [Fact]
    public void KG0002_nested_class()
        => Assert.Contains("nested inside 'Outer'", Single(
            Replace("[Network(", "public partial class Outer {\n[Network(").Replace("public partial class Net;", "public partial class Net; }"), "KG0002").GetMessage());

    [Fact]
    public void KG0003_inputs_missing()
        => Assert.Contains("Inputs", Single(Replace("Inputs = 64, ", ""), "KG0003").GetMessage());

    [Fact]
    public void KG0003_inputs_negative()
        => Assert.Contains("got -1", Single(Replace("Inputs = 64", "Inputs = -1"), "KG0003").GetMessage());

    [Fact]
    public void KG0004_batch_size_zero()
        => Assert.Contains("got 0", Single(Replace("BatchSize = 32", "BatchSize = 0"), "KG0004").GetMessage());

    [Fact]
    public void KG0005_no_layers()
        => Single(Replace("[Dense(100, Init = Init.HeNormal)]\n[Activation(Act.ReLU)]\n[Dense(10)]\n", ""), "KG0005");

    [Fact]
    public void KG0006_no_loss()
        => Single(Replace("[SoftmaxCrossEntropy]\n", ""), "KG0006");

    [Fact]
    public void KG0007_two_losses()
        => Assert.StartsWith("Layer 4 (MeanSquaredError)", Single(Replace("[SoftmaxCrossEntropy]\n", "[SoftmaxCrossEntropy]\n[MeanSquaredError]\n"), "KG0007").GetMessage());

    [Fact]
    public void KG0008_layer_after_the_loss()
        => Assert.StartsWith("Layer 4 (Dense)", Single(Replace("[SoftmaxCrossEntropy]\n", "[SoftmaxCrossEntropy]\n[Dense(3)]\n"), "KG0008").GetMessage());

    [Fact]
    public void KG0009_no_optimizer()
        => Single(Replace("[Sgd(LearningRate = 0.05f)]\n", ""), "KG0009");

    [Fact]
    public void KG0010_two_optimizers()
        => Assert.StartsWith("Layer 5 (Sgd)", Single(Replace("[Sgd(LearningRate = 0.05f)]\n", "[Sgd]\n[Sgd(LearningRate = 0.05f)]\n"), "KG0010").GetMessage());

    [Fact]
    public void KG0011_unknown_element_in_the_stack()
        => Assert.StartsWith("Layer 1 ([Shuffle])", Single(
            Replace("[Activation(Act.ReLU)]", "[Shuffle]") + "\npublic sealed class ShuffleAttribute : KernelGen.NetworkElementAttribute { }", "KG0011").GetMessage());

    [Fact]
    public void KG0012_network_too_large()
        => Assert.StartsWith("Layer 0 (Dense)", Single(Replace("Inputs = 64", "Inputs = 100000").Replace("[Dense(100,", "[Dense(20000,"), "KG0012").GetMessage());

    [Fact]
    public void KG0012_activation_buffer_too_large()
        => Assert.StartsWith("Layer 0 (Activation)", Single(
            Replace("Inputs = 64, BatchSize = 32", "Inputs = 70000, BatchSize = 70000").Replace("[Dense(100, Init = Init.HeNormal)]\n[Activation(Act.ReLU)]", "[Activation(Act.ReLU)]\n[Dense(100)]"), "KG0012").GetMessage());

    [Fact]
    public void KG0013_network_too_large_in_total()
        => Assert.StartsWith("Network 'Net' needs 1073772544 floats for its workspace", Single(
            Replace("Inputs = 64, BatchSize = 32", "Inputs = 1024, BatchSize = 1024").Replace("[Dense(100,", "[Dense(524288,"), "KG0013").GetMessage());

    [Fact]
    public void KG0012_input_rows_that_do_not_fit_an_int_name_the_first_layer()
        // 2^20 inputs × 2048 rows = 2^31 floats: before the shared layout this compiled with a copy of the inputs of -2147483632 floats.
        => Assert.Equal("Layer 0 (Dense) needs 2147483648 floats for its input rows (BatchSize × Inputs), more than the 2^30 a KernelGen network supports; reduce BatchSize or the layer's size",
            Single(Replace("Inputs = 64, BatchSize = 32", "Inputs = 1048576, BatchSize = 2048")
                .Replace("[Dense(100, Init = Init.HeNormal)]\n[Activation(Act.ReLU)]\n[Dense(10)]", "[Dense(1)]")
                .Replace("[SoftmaxCrossEntropy]", "[MeanSquaredError]"), "KG0012").GetMessage());

    [Fact]
    public void KG0013_optimizer_state_that_does_not_fit_an_int()
        // 2^29 + … parameters fit, Adam's two slots of them (2 × ParameterCapacity in one block) do not.
        => Assert.StartsWith("Network 'Net' needs 1074069536 floats for its optimizer state (2 slots", Single(
            Replace("Inputs = 64, BatchSize = 32", "Inputs = 32768, BatchSize = 1").Replace("[Dense(100,", "[Dense(16384, Bias = false,")
                .Replace("[Sgd(LearningRate = 0.05f)]", "[Adam]"), "KG0013").GetMessage());

    [Fact]
    public void A_half_typed_Network_attribute_gets_no_KernelGen_error_on_top()
    {
        GeneratorHarness.Run run = GeneratorHarness.RunGenerator(Replace("Inputs = 64", "Inputs = "));
        Assert.DoesNotContain(run.GeneratorDiagnostics, d => d.Id.StartsWith("KG", StringComparison.Ordinal));
        Assert.Contains(run.CompilerDiagnostics, d => d.Severity == DiagnosticSeverity.Error);
    }

    [Fact]
    public void Networks_with_the_same_name_in_two_namespaces_both_generate()
    {
        GeneratorHarness.Run run = GeneratorHarness.RunGenerator("namespace A;\n" + Valid, "namespace B;\n" + Valid);
        Assert.Null(run.Single.Exception);
        Assert.Empty(run.CompilerDiagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning));
        Assert.Contains(run.Single.GeneratedSources, s => s.HintName == "A.Net.g.cs");
        Assert.Contains(run.Single.GeneratedSources, s => s.HintName == "B.Net.g.cs");
    }

    [Theory]
    [InlineData("public partial class Net(int a);", "has a primary constructor")]
    [InlineData("public partial class Net { public Net() { } }", "declares a constructor")]
    public void KG0014_user_constructor(string declaration, string what)
        => Assert.Contains("'Net' " + what, Single(Replace("public partial class Net;", declaration), "KG0014").GetMessage());

    [Fact]
    public void KG0014_class_named_like_a_generated_member()
        => Assert.Contains("'Predict' has the name of a generated member", Single(Replace("public partial class Net;", "public partial class Predict;"), "KG0014").GetMessage());

    [Fact]
    public void KG0104_softmax_over_one_output()
        => Assert.StartsWith("Layer 3 (SoftmaxCrossEntropy) follows a layer with 1 output", Single(Replace("[Dense(10)]", "[Dense(1)]"), "KG0104").GetMessage());

    [Fact]
    public void KG0105_hyper_parameter_out_of_range()
    {
        Assert.StartsWith("Layer 4 (Adam) has Beta2 = 1: it must be in [0, 1)",
            Single(Replace("[Sgd(LearningRate = 0.05f)]", "[Adam(Beta2 = 1f)]"), "KG0105").GetMessage());
        Assert.StartsWith("Layer 4 (Adam) has Regularization = L1: decoupled weight decay",
            Single(Replace("[Sgd(LearningRate = 0.05f)]", "[Adam(WeightDecay = 0.1f, Decoupled = true, Regularization = Reg.L1)]"), "KG0105").GetMessage());
        Assert.StartsWith("Layer 5 (LearningRateSchedule) has Gamma = 0: it must be in (0, 1]",
            Single(Replace("[Sgd(LearningRate = 0.05f)]", "[Sgd(LearningRate = 0.05f)] [LearningRateSchedule(Schedule.StepDecay, Gamma = 0f)]"), "KG0105").GetMessage());
    }

    [Theory]
    [InlineData("Rho = 1f", "Rho = 1: it must be in [0, 1)")]
    [InlineData("Rho = -0.1f", "Rho = -0.1: it must be in [0, 1)")]
    [InlineData("Epsilon = 0f", "Epsilon = 0: it must be finite and > 0")]
    [InlineData("Epsilon = float.NaN", "Epsilon = NaN: it must be finite and > 0")]
    [InlineData("Epsilon = float.PositiveInfinity", "Epsilon = Infinity: it must be finite and > 0")]
    public void KG0105_Adadelta_rho_and_epsilon_out_of_range(string property, string message)
        => Assert.StartsWith("Layer 4 (Adadelta) has " + message,
            Single(Replace("[Sgd(LearningRate = 0.05f)]", $"[Adadelta({property})]"), "KG0105").GetMessage());

    [Fact]
    public void KG0105_layer_hyper_parameter_out_of_range()
    {
        Assert.StartsWith("Layer 2 (Dropout) has Rate = 1.5: the drop probability must be in [0, 1)",
            Single(Replace("[Dense(10)]", "[Dropout(1.5f)] [Dense(10)]"), "KG0105").GetMessage());
        Assert.StartsWith("Layer 1 (Activation) has Alpha = 0.1: ReLU takes no α",
            Single(Replace("[Activation(Act.ReLU)]", "[Activation(Act.ReLU, Alpha = 0.1f)]"), "KG0105").GetMessage());
        Assert.StartsWith("Layer 1 (Activation) has Alpha = -0.5: LeakyReLU's α must be in [0, 1)",
            Single(Replace("[Activation(Act.ReLU)]", "[Activation(Act.LeakyReLU, Alpha = -0.5f)]"), "KG0105").GetMessage());
        // Issue 18, case 12: an explicit NaN was read as "unset" and silently gave the default α.
        Assert.StartsWith("Layer 1 (Activation) has Alpha = NaN: LeakyReLU's α must be in [0, 1)",
            Single(Replace("[Activation(Act.ReLU)]", "[Activation(Act.LeakyReLU, Alpha = float.NaN)]"), "KG0105").GetMessage());
        Assert.StartsWith("Layer 1 (Activation) has Alpha = NaN: ELU's α must be finite and > 0",
            Single(Replace("[Activation(Act.ReLU)]", "[Activation(Act.ELU, Alpha = float.NaN)]"), "KG0105").GetMessage());
        Assert.StartsWith("Layer 1 (Activation) has Alpha = NaN: PReLU's initial α must be finite",
            Single(Replace("[Activation(Act.ReLU)]", "[Activation(Act.PReLU, Alpha = float.NaN)]"), "KG0105").GetMessage());
        Assert.StartsWith("Layer 1 (BatchNorm) has Momentum = 1: it must be in [0, 1)",
            Single(Replace("[Activation(Act.ReLU)]", "[BatchNorm(Momentum = 1f)]"), "KG0105").GetMessage());
        Assert.StartsWith("Layer 1 (BatchNorm) has Epsilon = 0: it must be finite and > 0",
            Single(Replace("[Activation(Act.ReLU)]", "[BatchNorm(Epsilon = 0f)]"), "KG0105").GetMessage());
        // [LayerNorm]'s ε: finite and > 0, like BatchNorm's (issue 13).
        Assert.StartsWith("Layer 1 (LayerNorm) has Epsilon = 0: it must be finite and > 0",
            Single(Replace("[Activation(Act.ReLU)]", "[LayerNorm(Epsilon = 0f)]"), "KG0105").GetMessage());
        Assert.StartsWith("Layer 1 (LayerNorm) has Epsilon = -1E-05: it must be finite and > 0",
            Single(Replace("[Activation(Act.ReLU)]", "[LayerNorm(Epsilon = -1e-5f)]"), "KG0105").GetMessage());
        Assert.StartsWith("Layer 1 (LayerNorm) has Epsilon = NaN: it must be finite and > 0",
            Single(Replace("[Activation(Act.ReLU)]", "[LayerNorm(Epsilon = float.NaN)]"), "KG0105").GetMessage());
        Assert.StartsWith("Layer 1 (LayerNorm) has Epsilon = Infinity: it must be finite and > 0",
            Single(Replace("[Activation(Act.ReLU)]", "[LayerNorm(Epsilon = float.PositiveInfinity)]"), "KG0105").GetMessage());
        Assert.StartsWith("Layer 1 (Maxout) has Pieces = 1: maxout needs 2 to 64 pieces",
            Single(Replace("[Activation(Act.ReLU)]", "[Maxout(1)]"), "KG0105").GetMessage());
    }

    [Fact]
    public void KG0107_layer_in_the_wrong_place()
    {
        Assert.StartsWith("Layer 2 (Maxout) follows layer 1 (Activation): maxout takes the largest of the k pieces",
            Single(Replace("[Dense(10)]", "[Maxout(2)] [Dense(10)]"), "KG0107").GetMessage());
        Assert.StartsWith("Layer 0 (BatchNorm) follows the inputs: batch norm of the raw inputs is preprocessing",
            Single(Replace("[Dense(100, Init = Init.HeNormal)]", "[BatchNorm] [Dense(100, Init = Init.HeNormal)]"), "KG0107").GetMessage());
    }

    [Fact]
    public void KG0106_two_schedules()
        => Assert.StartsWith("Layer 6 (LearningRateSchedule) is a second schedule on 'Net'",
            Single(Replace("[Sgd(LearningRate = 0.05f)]", "[Sgd(LearningRate = 0.05f)] [LearningRateSchedule(Schedule.Cosine)] [LearningRateSchedule(Schedule.StepDecay)]"), "KG0106").GetMessage());

    [Fact]
    public void KG0101_non_positive_units()
        => Assert.Equal("Layer 2 (Dense) has 0 units: the number of outputs must be at least 1", Single(Replace("[Dense(10)]", "[Dense(0)]"), "KG0101").GetMessage());

    [Theory]
    [InlineData("-1f", "-1")]
    [InlineData("0f", "0")]
    [InlineData("float.NaN", "NaN")]
    [InlineData("float.PositiveInfinity", "Infinity")]
    public void KG0102_learning_rate_not_finite_and_positive(string value, string shown)
        => Assert.Equal($"Layer 4 (Sgd) has LearningRate = {shown}: it must be a finite number greater than 0, e.g. 0.01",
            Single(Replace("LearningRate = 0.05f", "LearningRate = " + value), "KG0102").GetMessage());

    [Fact]
    public void KG0103_undefined_enum_value()
        => Assert.Contains("Act = 42", Single(Replace("[Activation(Act.ReLU)]", "[Activation((Act)42)]"), "KG0103").GetMessage());

    [Fact]
    public void KG9001_every_descriptor_has_a_unique_id_and_a_docs_page()
    {
        // KG9001 (generator fault) cannot be provoked from valid C#; this checks its page and the table it lives in.
        Assert.Equal(Descriptors.All.Count, Descriptors.All.Select(d => d.Id).Distinct().Count());
        string docs = Path.Combine(RepositoryRoot(), "docs", "diagnostics");
        foreach (DiagnosticDescriptor d in Descriptors.All)
        {
            string page = Path.Combine(docs, d.Id + ".md");
            Assert.True(File.Exists(page), $"missing {page}");
            Assert.Contains(d.Id, File.ReadAllText(page));
            Assert.EndsWith(d.Id + ".md", d.HelpLinkUri);
        }
    }

    [Theory]
    [InlineData("[Dense(]")]
    [InlineData("[Dense(100, Init = )]")]
    [InlineData("[Dense(\"many\")]")]
    [InlineData("[Activation(Act.)]")]
    [InlineData("[Activation(Act.Swish)]")]
    [InlineData("[NoSuchLayer(3)]")]
    [InlineData("[Sgd(LearningRate = \"fast\")]")]
    [InlineData("[Network(Inputs = , BatchSize = 32)]")]
    [InlineData("[Dense(100, Init = Init.HeNormal")]
    public void Partly_typed_attributes_never_crash_the_generator(string broken)
    {
        string source = Valid.Replace("[Activation(Act.ReLU)]", broken);
        GeneratorHarness.Run run = GeneratorHarness.RunGenerator(source);
        Assert.Null(run.Single.Exception);
        Assert.DoesNotContain(run.GeneratorDiagnostics, d => d.Id == "KG9001");
        Assert.Contains(run.CompilerDiagnostics, d => d.Severity == DiagnosticSeverity.Error); // the compiler explains
    }

    /// <summary>The checkout holding the tests (found from the test binaries, since CI builds map source paths to /_/).</summary>
    internal static string RepositoryRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "KernelGen.sln"))) return dir;
        }
        throw new InvalidOperationException("KernelGen.sln not found above " + AppContext.BaseDirectory);
    }
}
