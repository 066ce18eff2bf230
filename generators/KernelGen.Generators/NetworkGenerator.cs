using System.Linq;
using KernelGen.Generators.Diagnostics;
using KernelGen.Generators.Emit;
using KernelGen.Generators.Model;
using KernelGen.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace KernelGen.Generators;

/// <summary>
/// The incremental generator: [Network] classes → parsed, value-equatable specs → generated code.
/// Pipeline wiring only; the work lives in Parsing/ and Emit/.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class NetworkGenerator : IIncrementalGenerator
{
    /// <summary>Tracking names of the pipeline steps (tests assert they stay cached).</summary>
    public const string ParseStep = "KernelGen.Parse", SpecStep = "KernelGen.Spec", FactsStep = "KernelGen.Facts", EmitStep = "KernelGen.Emit";

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // 1. One network at a time: only classes carrying KernelGen.NetworkAttribute (no Collect()).
        IncrementalValuesProvider<ParseResult> parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                "KernelGen.NetworkAttribute",
                predicate: static (node, _) => node is ClassDeclarationSyntax,
                transform: static (ctx, ct) => NetworkParser.Parse(ctx, ct))
            .WithTrackingName(ParseStep);

        // 2. Diagnostics are their own output, so moving a line re-reports but does not re-emit.
        context.RegisterSourceOutput(parsed.SelectMany(static (r, _) => r.Diagnostics),
            static (spc, info) => spc.ReportDiagnostic(info.ToDiagnostic()));

        // 3. The spec alone (equal across edits that do not change the description).
        IncrementalValuesProvider<NetworkSpec> specs = parsed
            .Select(static (r, _) => r.Spec)
            .Where(static s => s is not null)
            .Select(static (s, _) => s!)
            .WithTrackingName(SpecStep);

        // 4. The compilation facts that change emission, reduced to a tiny record.
        IncrementalValueProvider<TargetFacts> facts = context.CompilationProvider
            .Select(static (c, _) => new TargetFacts(
                c.GetTypeByMetadataName("System.Runtime.Intrinsics.Vector256")?.GetMembers("MultiplyAddEstimate").Any() == true))
            .WithTrackingName(FactsStep);

        // 4b. A declaration with errors gets a placeholder class, so the KG errors are all the user sees.
        IncrementalValuesProvider<SkeletonSpec> skeletons = parsed
            .Select(static (r, _) => r.Spec is null ? r.Skeleton : null)
            .Where(static s => s is not null)
            .Select(static (s, _) => s!);
        context.RegisterSourceOutput(skeletons, static (spc, s) =>
            spc.AddSource(HintNames.Prefix(s.Namespace, s.ClassName) + ".g.cs",
                SourceText.From(SkeletonEmitter.Emit(s), System.Text.Encoding.UTF8)));

        // 5. Emit.
        context.RegisterSourceOutput(specs.Combine(facts).WithTrackingName(EmitStep), static (spc, pair) =>
        {
            foreach (GeneratedFile file in NetworkEmitter.Emit(pair.Left, pair.Right, spc.CancellationToken))
                spc.AddSource(file.HintName, SourceText.From(file.Source, System.Text.Encoding.UTF8));
        });
    }
}
