using System;
using System.Linq;
using KernelGen.Generators.Emit;
using KernelGen.Generators.Emit.Optimizers;
using KernelGen.Generators.Emit.Targets;
using KernelGen.Generators.Model;
using Microsoft.CodeAnalysis;
using Xunit;

namespace KernelGen.Generators.Tests;

/// <summary>The optimizer rules: one per kind behind one factory, which refuses an unknown kind as a generator bug.</summary>
public class OptimizerRuleTests
{
    [Fact]
    public void Every_kind_has_its_own_rule_and_the_slot_count_follows_the_names()
    {
        OptimizerKind[] kinds = Enum.GetValues(typeof(OptimizerKind)).Cast<OptimizerKind>().ToArray();
        Assert.Equal(kinds.Length, kinds.Select(OptimizerRule.For).Distinct().Count());
        foreach (OptimizerKind kind in kinds)
        {
            OptimizerRule rule = OptimizerRule.For(kind);
            Assert.Equal(kind, rule.Kind);
            Assert.Equal(rule.Slots.Count, new OptimizerSpec(kind, 0.1f).StateSlots);
            Assert.Equal(rule.Slots.Count, rule.Slots.Distinct().Count());
        }
        Assert.Equal(new[] { "square_avg", "acc_delta" }, OptimizerRule.For(OptimizerKind.Adadelta).Slots);
    }

    [Fact]
    public void An_unknown_kind_is_KG9001_not_a_fallback()
    {
        var e = Assert.Throws<InvalidOperationException>(() => OptimizerRule.For((OptimizerKind)99));
        Assert.StartsWith("KG9001", e.Message);
        Assert.Throws<InvalidOperationException>(() => new OptimizerSpec((OptimizerKind)99, 0.1f).StateSlots);
    }

    [Fact]
    public void Adadelta_element_uses_both_slots_at_every_width()
    {
        var spec = new OptimizerSpec(OptimizerKind.Adadelta, 1f, Rho: 0.95f, Epsilon: 1e-6f);
        foreach (VectorTarget t in VectorTarget.All)
        {
            var w = new CodeWriter();
            OptimizerRule.For(OptimizerKind.Adadelta).Element(new OptimizerElement(w, spec, t, "i"));
            string code = w.ToString();
            Assert.Contains("i + 0 * ParameterCapacity", code);
            Assert.Contains("i + 1 * ParameterCapacity", code);
            Assert.Contains("0.95f", code);
            Assert.Contains("1E-06f", code);
            Assert.DoesNotContain("i + 2 * ParameterCapacity", code);
        }
    }

    [Fact]
    public void An_Adadelta_network_generates_and_compiles_with_its_defaults()
    {
        const string source = """
            using KernelGen;

            [Network(Inputs = 3, BatchSize = 4)] [Dense(5)] [Activation(Act.Tanh)] [Dense(2)] [MeanSquaredError]
            [Adadelta(WeightDecay = 0.1f, Decoupled = true, ClipNorm = 1f)]
            public partial class Delta;
            """;
        GeneratorHarness.Run run = GeneratorHarness.RunGenerator(source);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilerDiagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning));
        // Lines are wrapped at 160 characters: compare with each line break (and its indentation) read as one space.
        string all = System.Text.RegularExpressions.Regex.Replace(string.Concat(run.Single.GeneratedSources.Select(s => s.SourceText.ToString())), @"\s*\n\s*", " ");
        Assert.Contains("OptimizerSlots = new string[] { \"square_avg\", \"acc_delta\" }", all);
        Assert.Contains("Adadelta (η = 1.0, decoupled weight decay λ = 0.1, gradient clipped to norm 1.0)", all);
    }
}
