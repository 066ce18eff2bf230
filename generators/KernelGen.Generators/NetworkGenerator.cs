using System.Collections.Generic;
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
    public const string ParseStep = "KernelGen.Parse", SpecStep = "KernelGen.Spec", FactsStep = "KernelGen.Facts", EmitStep = "KernelGen.Emit",
        NamesStep = "KernelGen.Names";

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

        // 4a. The names of all networks (only they are collected: a sorted list of strings that stays equal, so cached,
        // across every edit that adds, removes or renames no network). Roslyn compares hint names ignoring case, so only
        // names that collide that way get a suffix (HintNames); every other network keeps its plain file names.
        IncrementalValueProvider<EquatableArray<string>> names = parsed
            .Select(static (r, _) => r.Spec is { } s ? HintNames.Prefix(s.Namespace, s.ClassName)
                                   : r.Skeleton is { } k ? HintNames.Prefix(k.Namespace, k.ClassName) : null)
            .Where(static n => n is not null)
            .Select(static (n, _) => n!)
            .Collect()
            .Select(static (all, _) => all.Distinct().OrderBy(n => n, System.StringComparer.Ordinal).ToEquatableArray())
            .WithTrackingName(NamesStep);

        // 4b. A declaration with errors gets a placeholder class, so the KG errors are all the user sees.
        IncrementalValuesProvider<SkeletonSpec> skeletons = parsed
            .Select(static (r, _) => r.Spec is null ? r.Skeleton : null)
            .Where(static s => s is not null)
            .Select(static (s, _) => s!);
        context.RegisterSourceOutput(skeletons.Combine(names), static (spc, pair) =>
        {
            string prefix = HintNames.Prefix(pair.Left.Namespace, pair.Left.ClassName);
            spc.AddSource(HintNames.Unique(prefix + ".g.cs", prefix, pair.Right),
                SourceText.From(SkeletonEmitter.Emit(pair.Left), System.Text.Encoding.UTF8));
        });

        // 5. Emit.
        context.RegisterSourceOutput(specs.Combine(facts).Combine(names).WithTrackingName(EmitStep), static (spc, pair) =>
        {
            NetworkSpec spec = pair.Left.Left;
            string prefix = HintNames.Prefix(spec.Namespace, spec.ClassName);
            IReadOnlyList<GeneratedFile> files;
            try
            {
                files = NetworkEmitter.Emit(spec, pair.Left.Right, spc.CancellationToken);
            }
            catch (System.Exception e) when (e is not System.OperationCanceledException)
            {
                // A case the emitter has no code for is a KernelGen bug: KG9001 naming the network, never a fallback or a crash.
                spc.ReportDiagnostic(Diagnostic.Create(Descriptors.InternalError, Location.None, spec.ClassName, e.GetType().Name + ": " + e.Message));
                return;
            }
            foreach (GeneratedFile file in files)
                spc.AddSource(HintNames.Unique(file.HintName, prefix, pair.Right), SourceText.From(file.Source, System.Text.Encoding.UTF8));
        });
    }
}
