using System;
using System.Linq;
using KernelGen.Generators.Emit;
using KernelGen.Generators.Model;
using Microsoft.CodeAnalysis;
using Xunit;

namespace KernelGen.Generators.Tests;

using ActKind = KernelGen.Generators.Model.ActKind;
using InitKind = KernelGen.Generators.Model.InitKind;
using LayerKind = KernelGen.Generators.Model.LayerKind;

/// <summary>The emit stage: where the generated code lives, how kernels are named and shared, what a person reading it meets.</summary>
public class EmitTests
{
    private const string TwinLayers = """
        using KernelGen;
        namespace Apps.Models;
        [Network(Inputs = 32, BatchSize = 16)]
        [Dense(32)] [Activation(Act.ReLU)]
        [Dense(32)] [Activation(Act.ReLU)]
        [Dense(32)] [Activation(Act.ReLU)]
        [Dense(4)]
        [SoftmaxCrossEntropy]
        [Adam]
        public partial class Twins;
        """;

    [Fact]
    public void Layers_with_the_same_code_share_one_kernel_named_by_shape()
    {
        GeneratorHarness.Run run = GeneratorHarness.RunGenerator(TwinLayers);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilerDiagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning));
        string[] hints = run.Single.GeneratedSources.Select(s => s.HintName).ToArray();
        // L0 (the first layer: no dX kernel) differs in code from L2 under the same signature, so L2 gets the next suffix;
        // L4 is the same code as L2 (32×32, ReLU, dX with ReLU′ of its input) and shares its kernels: 3 families for 4 layers.
        Assert.Contains("Apps.Models.Twins.Dense_32x32_ReLU.g.cs", hints);
        Assert.Contains("Apps.Models.Twins.Dense_32x32_ReLU_2.g.cs", hints);
        Assert.Contains("Apps.Models.Twins.Dense_32x4.g.cs", hints);
        Assert.Equal(3, hints.Count(h => h.Contains(".Dense_", StringComparison.Ordinal)));
        string all = string.Concat(run.Single.GeneratedSources.Select(s => s.SourceText.ToString()));
        Assert.Equal(1, Count(all, "void Dense_32x32_ReLU_2_Forward_V512("));
        // The walk calls the shared kernel for both layers that use it.
        string layout = Source(run, ".Layout.g.cs");
        // (The vector widths' training walks run the packed outer-product kernels; the scalar walk the canonical one.)
        Assert.True(Count(layout, "Dense_32x32_ReLU_2_Forward_Scalar(") >= 2, "both twins call the shared kernel");
        Assert.True(Count(layout, "Dense_32x32_ReLU_2_Packed_V512(") >= 2, "both twins call the shared packed kernel");
    }

    [Fact]
    public void Kernels_live_in_KernelGen_s_namespace_and_user_types_named_like_them_do_not_interfere()
    {
        // Types the user might well have, named like what the kernels use; the kernels must still bind to System's and KernelGen's.
        const string userTypes = """
            namespace Apps.Models { public class Unsafe { } public class Vector512 { } public class Lanes { } public class MathF { } }
            public class WorkerPool { } public class Vector256 { } public class MemoryMarshal { }
            """;
        GeneratorHarness.Run run = GeneratorHarness.RunGenerator(TwinLayers, userTypes);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilerDiagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning));
        foreach (GeneratedSourceResult file in run.Single.GeneratedSources)
        {
            string text = file.SourceText.ToString();
            bool user = file.HintName == "Apps.Models.Twins.g.cs" || file.HintName == "Apps.Models.Twins.Optimizer.g.cs";
            Assert.Contains(user ? "namespace Apps.Models;" : "namespace KernelGen.Generated.Apps.Models;", text);
            Assert.Contains(user ? "partial class Twins" : "internal static partial class TwinsKernels", text);
        }
    }

    [Fact]
    public void No_generated_line_is_longer_than_160_characters()
    {
        foreach (string source in new[] { PipelineTests.DigitsNet, PipelineTests.TechniqueNet, PipelineTests.MixedRegressor, TwinLayers })
        {
            GeneratorHarness.Run run = GeneratorHarness.RunGenerator(source);
            foreach (GeneratedSourceResult file in run.Single.GeneratedSources)
            {
                string[] lines = file.SourceText.ToString().Split('\n');
                int worst = lines.Max(l => l.Length);
                Assert.True(worst <= CodeWriter.MaxLine, $"{file.HintName}: a line of {worst} characters: {lines.First(l => l.Length == worst)}");
                // No fully qualified names in kernel files: the using directives cover them.
                if (file.SourceText.ToString().Contains("internal static partial class", StringComparison.Ordinal))
                    Assert.DoesNotContain("global::System.Runtime.Intrinsics.Vector", file.SourceText.ToString());
            }
        }
    }

    [Fact]
    public void Comments_sit_above_attributes_and_walks_bind_their_tensors_once()
    {
        GeneratorHarness.Run run = GeneratorHarness.RunGenerator(PipelineTests.TechniqueNet);
        foreach (GeneratedSourceResult file in run.Single.GeneratedSources)
        {
            string[] lines = file.SourceText.ToString().Split('\n');
            for (int i = 0; i + 1 < lines.Length; i++)
            {
                if (lines[i].TrimStart().StartsWith("[", StringComparison.Ordinal) && lines[i].TrimEnd().EndsWith("]", StringComparison.Ordinal))
                    Assert.False(lines[i + 1].TrimStart().StartsWith("//", StringComparison.Ordinal), $"{file.HintName}:{i + 2}: a comment between an attribute and what it marks");
            }
        }
        string layout = Source(run, ".Layout.g.cs");
        int forward = layout.IndexOf("internal static void Forward_Scalar(", StringComparison.Ordinal);
        string walk = layout.Substring(forward, layout.IndexOf("\n    }", forward, StringComparison.Ordinal) - forward);
        // Named views first (ref float l0W = ref Unsafe.Add(ref p, L0_W);), then calls that use them: no offset arithmetic in the calls.
        Assert.Contains("ref float l0W = ref Unsafe.Add(ref p, L0_W);", walk);
        string calls = string.Join("\n", walk.Split('\n').Where(l => l.Contains("_Forward_Scalar(", StringComparison.Ordinal)));
        Assert.DoesNotContain("Unsafe.Add", calls);
    }

    [Fact]
    public void The_line_writer_moves_trailing_comments_and_wraps_after_commas_outside_strings()
    {
        var w = new CodeWriter(indent: 2);
        string call = "Kernel(" + string.Join(", ", Enumerable.Range(0, 30).Select(i => "argument" + i)) + "); // what it does";
        w.Line(call);
        string[] lines = w.ToString().TrimEnd('\n').Split('\n');
        Assert.Equal("        // what it does", lines[0]);
        Assert.StartsWith("        Kernel(argument0, ", lines[1], StringComparison.Ordinal);
        Assert.All(lines, l => Assert.True(l.Length <= CodeWriter.MaxLine, l));
        Assert.Equal(call.Substring(0, call.IndexOf(" //", StringComparison.Ordinal)), string.Join(" ", lines.Skip(1).Select(l => l.Trim())));

        // A long message: the commas inside the string are not break points; the string is split at a space into a + b.
        var m = new CodeWriter(indent: 2);
        string message = "a, b, c " + string.Join(" ", Enumerable.Repeat("word", 60));
        m.Line($"throw new Exception(\"{message}\");");
        string[] parts = m.ToString().TrimEnd('\n').Split('\n');
        Assert.True(parts.Length > 1);
        Assert.All(parts, l => Assert.True(l.Length <= CodeWriter.MaxLine, l));
        string joined = string.Concat(parts.Select(l => l.Trim())).Replace("\" +\"", string.Empty);
        Assert.Equal($"throw new Exception(\"{message}\");", joined);
        // An interpolated string is never split (its holes could not be rejoined that way): the line stays long.
        var n = new CodeWriter();
        n.Line("x = $\"" + new string('y', 200) + "\";");
        Assert.Single(n.ToString().TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void A_layer_kind_without_an_emitter_is_a_generator_bug_not_a_fallback()
    {
        var layer = new LayerSpec(0, (LayerKind)99, 4, 4, ActKind.Identity, InitKind.HeNormal, false);
        InvalidOperationException e = Assert.ThrowsAny<InvalidOperationException>(() => LayerEmitter.For(layer));
        Assert.Contains("99", e.Message);
        Assert.Contains("no emitter", e.Message);
    }

    [Fact]
    public void Every_layer_kind_the_runtime_knows_has_an_emitter()
    {
        foreach (LayerKind kind in Enum.GetValues(typeof(LayerKind)).Cast<LayerKind>())
            Assert.NotNull(LayerEmitter.For(new LayerSpec(0, kind, 4, 4, ActKind.ReLU, InitKind.HeNormal, true, Pieces: 2)).Summary);
        Assert.Equal(Enum.GetNames(typeof(KernelGen.LayerKind)).OrderBy(n => n), Enum.GetNames(typeof(LayerKind)).OrderBy(n => n));
    }

    [Fact]
    public void Dropout_is_fused_into_the_batch_norm_right_before_it_and_nowhere_else()
    {
        // Fused: after BatchNorm + Tanh (19) and after a batch norm without activation (7). Not fused: after a stand-alone GELU,
        // after a layer norm, and a dropout that is the last layer (inference runs the last node's own kernel).
        const string source = """
            using KernelGen;
            [Network(Inputs = 13, BatchSize = 11)]
            [Dense(19)] [BatchNorm] [Activation(Act.Tanh)] [Dropout(0.3f)]
            [Dense(7)] [BatchNorm] [Dropout(0.2f)]
            [Dense(6)] [BatchNorm] [Activation(Act.ReLU)] [Activation(Act.GELU)] [Dropout(0.1f)]
            [Dense(9)] [LayerNorm] [Dropout(0.1f)]
            [Dense(5)] [BatchNorm] [Dropout(0.4f)]
            [SoftmaxCrossEntropy]
            [Adam]
            public partial class Mixed;
            """;
        GeneratorHarness.Run run = GeneratorHarness.RunGenerator(source);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilerDiagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning));
        string[] hints = run.Single.GeneratedSources.Select(s => s.HintName).ToArray();
        Assert.Contains("Mixed.BatchNorm_19_Tanh_Dropout.g.cs", hints);
        Assert.Contains("Mixed.BatchNorm_7_Dropout.g.cs", hints);
        Assert.Contains("Mixed.BatchNorm_6_ReLU.g.cs", hints);
        Assert.Contains("Mixed.BatchNorm_5.g.cs", hints);
        Assert.Equal(new[] { "Mixed.Dropout_5.g.cs", "Mixed.Dropout_6.g.cs", "Mixed.Dropout_9.g.cs" }, hints.Where(h => h.Contains(".Dropout_", StringComparison.Ordinal)).OrderBy(h => h, StringComparer.Ordinal));
        string layout = Source(run, ".Layout.g.cs");
        // The fused dropouts have no phase of their own: the threaded step's switch has no case for them, the walks a comment.
        Assert.Contains("// L3 Dropout: fused into L1's batch-norm forward", layout);
        Assert.Contains("// L6 Dropout backward: fused into L5's batch-norm backward", layout);
        Assert.Equal(0, Count(layout, "Dropout_19_") + Count(layout, "Dropout_7_"));
    }

    [Fact]
    public void PReLU_is_fused_into_the_dense_layer_right_before_it_and_nowhere_else()
    {
        // Fused: after a dense layer (20) and after a dense layer without bias (9). Not fused: after a dense layer with ReLU fused
        // already, after a batch norm, after a maxout's dense layer (a maxout node in between) and first.
        const string source = """
            using KernelGen;
            [Network(Inputs = 13, BatchSize = 11)]
            [Activation(Act.PReLU)]
            [Dense(20)] [Activation(Act.PReLU)]
            [Dense(9, Bias = false)] [Activation(Act.PReLU)]
            [Dense(8)] [Activation(Act.ReLU)] [Activation(Act.PReLU)]
            [Dense(7)] [BatchNorm] [Activation(Act.PReLU)]
            [Dense(6)] [Maxout(2)] [Activation(Act.PReLU)]
            [Dense(5)]
            [SoftmaxCrossEntropy]
            [Adam]
            public partial class Mixed;
            """;
        GeneratorHarness.Run run = GeneratorHarness.RunGenerator(source);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilerDiagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning));
        string[] hints = run.Single.GeneratedSources.Select(s => s.HintName).ToArray();
        Assert.Contains("Mixed.Dense_13x20_PReLU.g.cs", hints);
        Assert.Contains("Mixed.Dense_20x9_NoBias_PReLU.g.cs", hints);
        Assert.Contains("Mixed.Dense_9x8_ReLU.g.cs", hints);
        string layout = Source(run, ".Layout.g.cs");
        Assert.Contains("// L2 PReLU: fused into L1's dense forward", layout);
        Assert.Contains("// L4 PReLU: fused into L3's dense forward", layout);
        Assert.DoesNotContain("// L0 PReLU: fused", layout);
        Assert.DoesNotContain("// L7 PReLU: fused", layout);
        Assert.DoesNotContain("// L10 PReLU: fused", layout);
        Assert.DoesNotContain("// L13 PReLU: fused", layout);
    }

    /// <summary>The training forward switches to the packed kernels at 16 rows where the optimizer's update stays within 1 MiB,
    /// at 48 where it streams more (the packing's stores then miss L2 too); a batch below the threshold never packs in the
    /// update.</summary>
    [Theory]
    [InlineData(32, 32, "Adam", 128, 16, true)] // 1,386 parameters × (p, g, m, v) + packed ≈ 28 KB: 16 rows
    [InlineData(784, 256, "Sgd", 128, 48, true)] // 203,530 × (p, g) + packed ≈ 2.4 MB: 48 rows
    [InlineData(784, 256, "Adam", 128, 48, true)]
    [InlineData(784, 256, "Adam", 40, 48, false)] // a batch of 40 under 48: the update never packs
    [InlineData(200, 128, "Sgd", 40, 16, true)] // 27,028 × (p, g) + packed ≈ 0.3 MB
    public void The_packed_training_threshold_follows_what_the_update_streams(int inputs, int hidden, string optimizer, int batch, int expected, bool packs)
    {
        string source = $$"""
            using KernelGen;
            namespace Apps.Models;
            [Network(Inputs = {{inputs}}, BatchSize = {{batch}})]
            [Dense({{hidden}})] [Activation(Act.ReLU)]
            [Dense(10)]
            [SoftmaxCrossEntropy]
            [{{optimizer}}]
            public partial class Sized;
            """;
        GeneratorHarness.Run run = GeneratorHarness.RunGenerator(source);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilerDiagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning));
        Assert.Contains($"internal const int PackedTrainingRows = {expected};", Source(run, ".Layout.g.cs"));
        Assert.Equal(packs, Source(run, ".Optimizer.Kernels.g.cs").Contains("WeightPacking.PackPanels", StringComparison.Ordinal));
    }

    private static string Source(GeneratorHarness.Run run, string suffix)
        => run.Single.GeneratedSources.Single(s => s.HintName.EndsWith(suffix, StringComparison.Ordinal)).SourceText.ToString();

    private static int Count(string text, string what)
    {
        int n = 0;
        for (int i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + 1, StringComparison.Ordinal)) n++;
        return n;
    }
}
