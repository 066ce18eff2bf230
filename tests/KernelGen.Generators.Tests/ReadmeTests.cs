using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace KernelGen.Generators.Tests;

/// <summary>The README's C# blocks compile as pasted, with the generator, and its first one is a program that runs
/// and learns. A README edit that breaks a snippet fails here, not in a user's first five minutes.</summary>
public class ReadmeTests
{
    private static string Readme()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
            if (File.Exists(Path.Combine(dir, "KernelGen.sln"))) return File.ReadAllText(Path.Combine(dir, "README.md"));
        throw new InvalidOperationException("KernelGen.sln not found above " + AppContext.BaseDirectory);
    }

    private static List<string> CSharpBlocks()
        => Regex.Matches(Readme(), "```csharp\\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToList();

    private static (Compilation Output, IReadOnlyList<Diagnostic> Problems) Compile(string source, OutputKind kind)
    {
        var compilation = GeneratorHarness.Compilation(source).WithOptions(
            new CSharpCompilationOptions(kind, nullableContextOptions: NullableContextOptions.Enable));
        var run = GeneratorHarness.RunGenerator(GeneratorHarness.Driver(), compilation);
        var problems = run.GeneratorDiagnostics.Concat(run.CompilerDiagnostics)
            .Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        return (run.Output, problems);
    }

    [Fact]
    public void The_README_has_C_sharp_blocks_and_the_first_is_a_whole_program()
    {
        List<string> blocks = CSharpBlocks();
        Assert.True(blocks.Count >= 2, $"expected the README's C# examples, found {blocks.Count} blocks");
        Assert.Contains("partial class", blocks[0]);
        Assert.Contains("TrainStep", blocks[0]);
    }

    [Fact]
    public void Every_README_block_compiles_as_pasted_without_warnings()
    {
        List<string> blocks = CSharpBlocks();
        for (int i = 0; i < blocks.Count; i++)
        {
            // A block with statements outside any type is a program (top-level statements); the others are declarations.
            bool program = Regex.IsMatch(blocks[i], @"^(using var|var |Dataset |float |for |Console\.)", RegexOptions.Multiline);
            var (_, problems) = Compile(blocks[i], program ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary);
            Assert.True(problems.Count == 0, $"README C# block {i + 1}:\n{string.Join("\n", problems)}\n---\n{blocks[i]}");
        }
    }

    [Fact]
    public void The_first_README_block_runs_and_learns()
    {
        var (output, problems) = Compile(CSharpBlocks()[0], OutputKind.ConsoleApplication);
        Assert.Empty(problems);
        using var image = new MemoryStream();
        var emitted = output.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        var context = new AssemblyLoadContext("readme", isCollectible: true);
        try
        {
            image.Position = 0;
            Assembly program = context.LoadFromStream(image);
            var writer = new StringWriter();
            TextWriter original = Console.Out;
            Console.SetOut(writer);
            try { program.EntryPoint!.Invoke(null, new object[] { Array.Empty<string>() }); }
            finally { Console.SetOut(original); }
            string text = writer.ToString();
            Match accuracy = Regex.Match(text, @"accuracy (\d+)[.,](\d) ?%");
            Assert.True(accuracy.Success, "the program printed: " + text);
            Assert.True(int.Parse(accuracy.Groups[1].Value) >= 90, "the README's network should learn digits to ≥ 90 % (training rows): " + text);
        }
        finally { context.Unload(); }
    }
}
