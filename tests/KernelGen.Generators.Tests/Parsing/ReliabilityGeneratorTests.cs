using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace KernelGen.Generators.Tests;

/// <summary>Issue 18, cases 10 and 11: declarations that crashed the generator or broke inside generated code.</summary>
public class ReliabilityGeneratorTests
{
    private const string Attributes = """
        [KernelGen.Network(Inputs = 8, BatchSize = 4)]
        [KernelGen.Dense(3)]
        [KernelGen.SoftmaxCrossEntropy]
        [KernelGen.Sgd(LearningRate = 0.05f)]
        """;

    private static Diagnostic[] Errors(GeneratorHarness.Run run)
        => run.CompilerDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();

    private static string Show(Diagnostic[] ds) => string.Join("\n", ds.Select(d => d.ToString()));

    [Fact]
    public void Case10_Network_on_both_partial_declarations_is_the_compilers_one_error_not_a_crash()
    {
        // Before: CS8785, the generator threw (two sources under one hint name) and nothing was generated.
        GeneratorHarness.Run run = GeneratorHarness.RunGenerator(Attributes + "\npublic partial class Net;", Attributes + "\npublic partial class Net { }");
        Assert.Null(run.Single.Exception);
        Assert.DoesNotContain(run.GeneratorDiagnostics, d => d.Id == "CS8785");
        Diagnostic[] errors = Errors(run);
        Assert.True(errors.Length > 0 && errors.All(e => e.Id == "CS0579"), Show(errors)); // duplicate attribute, once per attribute
        Assert.Equal(1, run.Single.GeneratedSources.Count(s => s.HintName.EndsWith("Net.g.cs", StringComparison.Ordinal)));
    }

    [Fact]
    public void Case10_classes_differing_only_in_case_both_generate_under_distinct_hint_names()
    {
        GeneratorHarness.Run run = GeneratorHarness.RunGenerator(Attributes + "\npublic partial class Net;", Attributes + "\npublic partial class NET;");
        Assert.Null(run.Single.Exception);
        Assert.Empty(Errors(run));
        string[] hints = run.Single.GeneratedSources.Select(s => s.HintName).ToArray();
        Assert.Equal(hints.Length, hints.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        // Only the colliding names get the suffix; a network alone with its name keeps plain file names.
        Assert.Contains(hints, h => h.StartsWith("Net.c", StringComparison.Ordinal) && h.EndsWith(".g.cs", StringComparison.Ordinal));
        Assert.Contains(hints, h => h.StartsWith("NET.c", StringComparison.Ordinal) && h.EndsWith(".g.cs", StringComparison.Ordinal));
        GeneratorHarness.Run alone = GeneratorHarness.RunGenerator(Attributes + "\npublic partial class Net;", Attributes + "\npublic partial class Other;");
        Assert.Contains("Net.g.cs", alone.Single.GeneratedSources.Select(s => s.HintName));
        Assert.Contains("Other.g.cs", alone.Single.GeneratedSources.Select(s => s.HintName));
    }

    [Theory]
    [InlineData("private float[] _parameters = new float[1];", "'_parameters'")]
    [InlineData("public void Dispose() { }", "'Dispose'")]
    [InlineData("public const int ParameterCount = 3;", "'ParameterCount'")]
    [InlineData("private int _gate; private void L0_Forward_V256() { }", "'L0_Forward_V256', '_gate'")]
    public void Case11_a_member_named_like_generated_code_is_KG0014_listing_it_and_nothing_else(string member, string listed)
    {
        GeneratorHarness.Run run = GeneratorHarness.RunGenerator(Attributes + "\npublic partial class Net { " + member + " }");
        Assert.Null(run.Single.Exception);
        Diagnostic d = Assert.Single(run.GeneratorDiagnostics, x => x.Id == "KG0014");
        Assert.Contains("declares " + listed + ", reserved for the generated code", d.GetMessage());
        // The placeholder class leaves the user's members alone: no error inside generated code.
        Assert.DoesNotContain(Errors(run), e => e.Location.SourceTree?.FilePath.Contains(".g.cs", StringComparison.Ordinal) == true);
    }

    [Fact]
    public void Case11_user_members_with_other_names_are_fine()
    {
        GeneratorHarness.Run run = GeneratorHarness.RunGenerator(Attributes + "\npublic partial class Net { private float[] _myParameters = new float[1]; public int Layers => _myParameters.Length; }");
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(Errors(run));
    }

    [Fact]
    public void Case11_a_class_named_with_a_keyword_generates_and_compiles()
    {
        GeneratorHarness.Run run = GeneratorHarness.RunGenerator("namespace @event.Models;\n" + Attributes + "\npublic partial class @class;\n"
            + "static class Use { static int M() { using var n = new @event.Models.@class(); return @event.Models.@class.ParameterCount + @event.Models.@class.Info.Layers.Count + n.Parameters.Length; } }");
        Assert.Null(run.Single.Exception);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.True(Errors(run).Length == 0, Show(Errors(run)));
    }

    [Theory]
    [InlineData(LanguageVersion.CSharp9)]
    [InlineData(LanguageVersion.CSharp7_3)]
    public void Case11_a_language_version_below_CSharp_10_is_KG0015_and_no_error_in_generated_code(LanguageVersion version)
    {
        var options = new CSharpParseOptions(version);
        var compilation = GeneratorHarness.Compilation().WithOptions(new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary)).AddSyntaxTrees(CSharpSyntaxTree.ParseText(Attributes + "\npublic partial class Net { }", options, path: "Source0.cs"));
        var driver = CSharpGeneratorDriver.Create(new[] { new NetworkGenerator().AsSourceGenerator() }, parseOptions: options);
        GeneratorHarness.Run run = GeneratorHarness.RunGenerator(driver, compilation);
        Assert.Null(run.Single.Exception);
        Diagnostic d = Assert.Single(run.GeneratorDiagnostics, x => x.Id == "KG0015");
        Assert.Contains("needs C# 10 or later", d.GetMessage());
        Assert.Empty(run.Single.GeneratedSources);
        Assert.True(Errors(run).Length == 0, Show(Errors(run)));
    }
}
