using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using KernelGen.Generators.Diagnostics;
using KernelGen.Generators.Emit.Optimizers;
using KernelGen.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace KernelGen.Generators.Parsing;

/// <summary>Result of parsing one [Network] class: a spec when the description is valid, and every problem found.</summary>
internal sealed record ParseResult(NetworkSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics)
{
    /// <summary>Where <see cref="Spec"/> is null because of errors: what the placeholder class needs (null where the
    /// class cannot take one: not partial, nested, generic or static).</summary>
    public SkeletonSpec? Skeleton { get; init; }
}

/// <summary>
/// Turns the attributes on one class into a <see cref="NetworkSpec"/>. All validation lives here: every
/// problem is reported once, naming the layer by its 0-based position in the attribute stack. The
/// emitter can then trust the model.
/// </summary>
internal static class NetworkParser
{
    // Defaults of the runtime attributes (the generator cannot read property initialisers); keep in sync
    // with src/KernelGen/Description.
    private const InitKind DefaultInit = InitKind.XavierUniform;
    private const long MaxBufferFloats = 1L << 30;
    private static readonly string[] GeneratedMembers =
    {
        "InputSize", "OutputSize", "BatchSize", "ParameterCount", "Info", "Isa", "Step", "Parameters", "Gradients",
        "TrainStep", "ComputeGradients", "Evaluate", "Predict", "Dispose", "LearningRate", "ApplyUpdate", "RunKernel",
        "Training", "DropoutEnabled", "RunningStatistics", "Seed",
    };

    // Every other name the generated class declares (issue 18, case 11: a user's own _parameters field, Dispose() or
    // ParameterCount was an error inside generated code). Per-layer members are L<k>_…; per-width kernels end in
    // _Scalar/_V128/_V256/_V512 and are covered by the prefixes below.
    private static readonly string[] ReservedMembers =
    {
        "BaseLearningRate", "WeightDecay", "IsFrozen", "SetFrozen", "OptimizerState", "Threads", "StatisticsCount",
        "ParameterCapacity", "WorkspaceLength", "Probabilities", "FoldedLength",
        "ParallelFlops", "ParallelParameters", "ParallelElements", "HasParallelWork", "Forward", "Backward", "Infer",
        "InferChunk", "InferPart", "ForwardParallel", "BackwardParallel", "Parallel", "RunPart", "Update", "UpdatePart",
        "UpdateRunningStatistics", "Commit", "Fold", "LossAndGradient", "LossSum", "WriteOutputs", "LearningRateAt", "Penalty",
        "_parameters", "_gradients", "_workspace", "_state", "_statistics", "_folded", "_foldedStale", "_packedStale", "_gate", "_isa",
        "_seed", "_step", "_baseLearningRate", "_weightDecay", "_frozen", "_frozenCount", "_pool", "_partRows", "_partLr",
        "_partScale", "_partC1", "_partC2", "_partAnyFrozen", "_partTrain", "_partDrop", "_partStep", "_batchRows",
        "_training", "_dropoutEnabled",
    };

    /// <summary>Whether the generated class declares <paramref name="member"/> (or may, for another layer stack).</summary>
    internal static bool IsReserved(string member)
        => Array.IndexOf(GeneratedMembers, member) >= 0 || Array.IndexOf(ReservedMembers, member) >= 0
            || (member.Length > 2 && member[0] == 'L' && char.IsDigit(member[1]) && member.IndexOf('_') > 1)
            || member.StartsWith("Forward_", StringComparison.Ordinal) || member.StartsWith("Backward_", StringComparison.Ordinal)
            || member.StartsWith("Infer_", StringComparison.Ordinal) || member.StartsWith("RunPart_", StringComparison.Ordinal)
            || member.StartsWith("Update_", StringComparison.Ordinal);

    /// <summary>The identifier as C# source: a keyword is escaped (a class declared as @class).</summary>
    internal static string Escape(string identifier)
        => SyntaxFacts.GetKeywordKind(identifier) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(identifier) is SyntaxKind.RecordKeyword
            ? "@" + identifier : identifier;

    public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.TargetSymbol is not INamedTypeSymbol symbol || context.TargetNode is not ClassDeclarationSyntax declaration)
            return new ParseResult(null, default);
        // [Network] on two partial declarations: the compiler reports the duplicate (CS0579); only the first one
        // (by file, then position) is parsed, so the class is generated once instead of twice under one hint name.
        if (!IsFirstNetworkAttribute(symbol, context.Attributes[0]))
            return new ParseResult(null, default);
        try
        {
            return ParseCore(symbol, declaration, context.Attributes[0], cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var info = DiagnosticInfo.Create(Descriptors.InternalError, declaration.Identifier.GetLocation(), symbol.Name, e.GetType().Name + ": " + e.Message);
            return new ParseResult(null, new[] { info }.ToEquatableArray());
        }
    }

    private static bool IsFirstNetworkAttribute(INamedTypeSymbol symbol, AttributeData attribute)
    {
        SyntaxReference? first = symbol.GetAttributes()
            .Where(a => a.AttributeClass?.ToDisplayString() == "KernelGen.NetworkAttribute" && a.ApplicationSyntaxReference is not null)
            .Select(a => a.ApplicationSyntaxReference!)
            .OrderBy(r => r.SyntaxTree.FilePath, StringComparer.Ordinal)
            .ThenBy(r => r.Span.Start)
            .FirstOrDefault();
        SyntaxReference? mine = attribute.ApplicationSyntaxReference;
        return first is null || mine is null || (first.SyntaxTree == mine.SyntaxTree && first.Span == mine.Span);
    }

    private static ParseResult ParseCore(INamedTypeSymbol symbol, ClassDeclarationSyntax declaration, AttributeData network, CancellationToken ct)
    {
        var diagnostics = new List<DiagnosticInfo>();
        string name = symbol.Name;
        Location classLocation = declaration.Identifier.GetLocation();
        bool incomplete = false; // the compiler already reports an error we must not emit on top of

        if (!declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.NotPartial, classLocation, name));
        if (symbol.ContainingType is not null)
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.UnsupportedClass, classLocation, name, "nested inside '" + symbol.ContainingType.Name + "'"));
        else if (symbol.IsGenericType)
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.UnsupportedClass, classLocation, name, "generic"));
        else if (symbol.IsStatic)
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.UnsupportedClass, classLocation, name, "static"));

        // The generated constructor and members must not collide with the user's.
        if (declaration.ParameterList is not null)
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.ConflictsWithGenerated, classLocation, name, "has a primary constructor"));
        else if (symbol.InstanceConstructors.Any(c => !c.IsImplicitlyDeclared))
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.ConflictsWithGenerated, classLocation, name, "declares a constructor"));
        if (Array.IndexOf(GeneratedMembers, name) >= 0)
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.ConflictsWithGenerated, classLocation, name, "has the name of a generated member"));
        string[] taken = symbol.GetMembers().Where(m => !m.IsImplicitlyDeclared && m is not IMethodSymbol { MethodKind: MethodKind.Constructor or MethodKind.StaticConstructor }
                && IsReserved(m.Name)).Select(m => m.Name).Distinct().OrderBy(m => m, StringComparer.Ordinal).ToArray();
        if (taken.Length > 0)
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.ConflictsWithGenerated, classLocation, name,
                "declares " + string.Join(", ", taken.Select(t => "'" + t + "'")) + ", reserved for the generated code (rename " + (taken.Length == 1 ? "it" : "them") + ")"));
        // The generated code uses file-scoped namespaces and other C# 10 syntax.
        if (declaration.SyntaxTree.Options is CSharpParseOptions { LanguageVersion: var version } && version < LanguageVersion.CSharp10)
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.LanguageVersionTooLow, classLocation, name, version.ToDisplayString()));

        // [Network(Inputs, BatchSize, Seed)]
        Location networkLocation = LocationOf(network, ct) ?? classLocation;
        if (HasErrors(network)) incomplete = true;
        int? inputs = NamedInt(network, "Inputs");
        int? batchSize = NamedInt(network, "BatchSize");
        int seed = NamedInt(network, "Seed") ?? 0;
        // A half-typed [Network(...)] is the compiler's to report; "Inputs missing" on top of it would be noise.
        if (inputs is null or <= 0 && !incomplete)
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.BadInputs, networkLocation, name, inputs?.ToString(CultureInfo.InvariantCulture) ?? "nothing"));
        if (batchSize is null or <= 0 && !incomplete)
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.BadBatchSize, networkLocation, name, batchSize?.ToString(CultureInfo.InvariantCulture) ?? "nothing"));

        // The stack: every attribute deriving from NetworkElementAttribute, in source order.
        var stack = symbol.GetAttributes()
            .Where(a => IsNetworkElement(a.AttributeClass))
            .Select(a => (attribute: a, reference: a.ApplicationSyntaxReference))
            .OrderBy(t => t.reference?.SyntaxTree.FilePath ?? string.Empty, StringComparer.Ordinal)
            .ThenBy(t => t.reference?.Span.Start ?? 0)
            .Select(t => t.attribute)
            .ToList();
        // Partly typed attributes ([Dense(], an unresolved type) come through as error types: the compiler reports them.
        incomplete |= symbol.GetAttributes().Any(a => a.AttributeClass is null || a.AttributeClass.TypeKind == TypeKind.Error);

        var layers = new List<LayerSpec>();
        int width = inputs ?? 1;
        LossKind? loss = null;
        int lossPosition = -1;
        OptimizerSpec? optimizer = null;
        ScheduleSpec? schedule = null;
        bool shapesValid = true;
        var layerLocations = new Dictionary<int, Location>();

        for (int position = 0; position < stack.Count; position++)
        {
            ct.ThrowIfCancellationRequested();
            AttributeData a = stack[position];
            Location location = LocationOf(a, ct) ?? classLocation;
            layerLocations[position] = location;
            string display = a.AttributeClass!.Name.EndsWith("Attribute", StringComparison.Ordinal)
                ? a.AttributeClass.Name.Substring(0, a.AttributeClass.Name.Length - "Attribute".Length)
                : a.AttributeClass.Name;
            if (HasErrors(a))
            {
                incomplete = true;
                continue;
            }
            bool isLayer = false;
            switch (FullName(a.AttributeClass))
            {
                case "KernelGen.DenseAttribute":
                {
                    isLayer = true;
                    int units = a.ConstructorArguments.Length > 0 && a.ConstructorArguments[0].Value is int u ? u : 0;
                    int initValue = NamedInt(a, "Init") ?? (int)DefaultInit;
                    bool bias = NamedBool(a, "Bias") ?? true;
                    if (units <= 0)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(Descriptors.NonPositiveUnits, location, Pos(position), units.ToString(CultureInfo.InvariantCulture)));
                        shapesValid = false;
                        units = 1;
                    }
                    if (!Enum.IsDefined(typeof(InitKind), initValue))
                        diagnostics.Add(DiagnosticInfo.Create(Descriptors.UnknownEnumValue, location, Pos(position), display, "Init", initValue.ToString(CultureInfo.InvariantCulture)));
                    float initConstant = NamedFloat(a, "InitValue") ?? 0f;
                    if (float.IsNaN(initConstant) || float.IsInfinity(initConstant))
                        diagnostics.Add(DiagnosticInfo.Create(Descriptors.BadHyperParameter, location, Pos(position), display, "InitValue", initConstant.ToString("R", CultureInfo.InvariantCulture), "it must be finite"));
                    layers.Add(new LayerSpec(position, LayerKind.Dense, width, units, ActKind.Identity, (InitKind)initValue, bias, Ordinal: layers.Count, InitValue: initConstant));
                    width = units;
                    break;
                }
                case "KernelGen.ActivationAttribute":
                {
                    isLayer = true;
                    int act = a.ConstructorArguments.Length > 0 && a.ConstructorArguments[0].Value is int v ? v : -1;
                    if (!Enum.IsDefined(typeof(ActKind), act))
                        diagnostics.Add(DiagnosticInfo.Create(Descriptors.UnknownEnumValue, location, Pos(position), display, "Act", act.ToString(CultureInfo.InvariantCulture)));
                    float? alpha = NamedFloat(a, "Alpha");
                    var kind = Enum.IsDefined(typeof(ActKind), act) ? (ActKind)act : ActKind.Identity;
                    if (alpha is float al)
                    {
                        string text = al.ToString("R", CultureInfo.InvariantCulture);
                        if (!kind.TakesAlpha())
                            diagnostics.Add(DiagnosticInfo.Create(Descriptors.BadHyperParameter, location, Pos(position), display, "Alpha", text, kind + " takes no α; only LeakyReLU, PReLU and ELU do"));
                        else if (kind == ActKind.LeakyReLU && !(al >= 0f && al < 1f))
                            diagnostics.Add(DiagnosticInfo.Create(Descriptors.BadHyperParameter, location, Pos(position), display, "Alpha", text, "LeakyReLU's α must be in [0, 1), e.g. 0.01"));
                        else if (kind == ActKind.ELU && !(al > 0f && !float.IsInfinity(al)))
                            diagnostics.Add(DiagnosticInfo.Create(Descriptors.BadHyperParameter, location, Pos(position), display, "Alpha", text, "ELU's α must be finite and > 0, e.g. 1"));
                        else if (kind == ActKind.PReLU && !(al - al == 0f))
                            diagnostics.Add(DiagnosticInfo.Create(Descriptors.BadHyperParameter, location, Pos(position), display, "Alpha", text, "PReLU's initial α must be finite, e.g. 0.25"));
                    }
                    layers.Add(new LayerSpec(position, LayerKind.Activation, width, width, kind, DefaultInit, false, Ordinal: layers.Count, Alpha: alpha ?? kind.DefaultAlpha()));
                    break;
                }
                case "KernelGen.BatchNormAttribute":
                {
                    isLayer = true;
                    float momentum = NamedFloat(a, "Momentum") ?? 0.9f;
                    if (!(momentum >= 0f && momentum < 1f))
                        diagnostics.Add(DiagnosticInfo.Create(Descriptors.BadHyperParameter, location, Pos(position), display, "Momentum", momentum.ToString("R", CultureInfo.InvariantCulture), "it must be in [0, 1): the weight of the old value in the running averages, e.g. 0.9"));
                    float epsilon = NamedFloat(a, "Epsilon") ?? 1e-5f;
                    if (!(epsilon > 0f && !float.IsInfinity(epsilon)))
                        diagnostics.Add(DiagnosticInfo.Create(Descriptors.BadHyperParameter, location, Pos(position), display, "Epsilon", epsilon.ToString("R", CultureInfo.InvariantCulture), "it must be finite and > 0, e.g. 1e-5"));
                    if (layers.Count == 0)
                        diagnostics.Add(DiagnosticInfo.Create(Descriptors.MisplacedLayer, location, Pos(position), display, "the inputs", "batch norm of the raw inputs is preprocessing (standardise the data instead); put it after a [Dense]"));
                    layers.Add(new LayerSpec(position, LayerKind.BatchNorm, width, width, ActKind.Identity, DefaultInit, false, Ordinal: layers.Count, Momentum: momentum, Epsilon: epsilon));
                    break;
                }
                case "KernelGen.LayerNormAttribute":
                {
                    isLayer = true;
                    float epsilon = NamedFloat(a, "Epsilon") ?? 1e-5f;
                    if (!(epsilon > 0f && !float.IsInfinity(epsilon)))
                        diagnostics.Add(DiagnosticInfo.Create(Descriptors.BadHyperParameter, location, Pos(position), display, "Epsilon", epsilon.ToString("R", CultureInfo.InvariantCulture), "it must be finite and > 0, e.g. 1e-5"));
                    layers.Add(new LayerSpec(position, LayerKind.LayerNorm, width, width, ActKind.Identity, DefaultInit, false, Ordinal: layers.Count, Epsilon: epsilon));
                    break;
                }
                case "KernelGen.DropoutAttribute":
                {
                    isLayer = true;
                    float rate = a.ConstructorArguments.Length > 0 ? a.ConstructorArguments[0].Value switch { float f => f, double d => (float)d, _ => float.NaN } : float.NaN;
                    if (!(rate >= 0f && rate < 1f))
                        diagnostics.Add(DiagnosticInfo.Create(Descriptors.BadHyperParameter, location, Pos(position), display, "Rate", rate.ToString("R", CultureInfo.InvariantCulture), "the drop probability must be in [0, 1), e.g. 0.2"));
                    layers.Add(new LayerSpec(position, LayerKind.Dropout, width, width, ActKind.Identity, DefaultInit, false, Ordinal: layers.Count, Rate: rate));
                    break;
                }
                case "KernelGen.MaxoutAttribute":
                {
                    isLayer = true;
                    int pieces = a.ConstructorArguments.Length > 0 && a.ConstructorArguments[0].Value is int pc ? pc : 0;
                    LayerSpec? dense = layers.Count > 0 ? layers[layers.Count - 1] : null;
                    if (pieces < 2 || pieces > 64)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(Descriptors.BadHyperParameter, location, Pos(position), display, "Pieces", pieces.ToString(CultureInfo.InvariantCulture), "maxout needs 2 to 64 pieces"));
                        pieces = 2;
                    }
                    if (dense is not { Kind: LayerKind.Dense, Pieces: 1 })
                    {
                        string before = dense is null ? "the inputs" : "layer " + Pos(dense.Index) + " (" + dense.Kind + ")";
                        diagnostics.Add(DiagnosticInfo.Create(Descriptors.MisplacedLayer, location, Pos(position), display, before, "maxout takes the largest of the k pieces the dense layer right before it computes; put it directly after a [Dense]"));
                        shapesValid = false;
                        break;
                    }
                    // The dense layer computes `pieces` blocks of its units (k times its parameters); maxout keeps the largest.
                    // Only that k × units is representable; every buffer is checked by the layout below.
                    if ((long)dense.Outputs * pieces > MaxBufferFloats)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(Descriptors.TooLarge, location, Pos(position), display,
                            ((long)dense.Outputs * pieces).ToString(CultureInfo.InvariantCulture), "the k pieces of the dense layer before it (units × k)"));
                        shapesValid = false;
                        break;
                    }
                    layers[layers.Count - 1] = dense with { Outputs = dense.Outputs * pieces, Pieces = pieces };
                    layers.Add(new LayerSpec(position, LayerKind.Maxout, dense.Outputs * pieces, dense.Outputs, ActKind.Identity, DefaultInit, false, Ordinal: layers.Count, Pieces: pieces));
                    break;
                }
                case "KernelGen.SoftmaxCrossEntropyAttribute":
                case "KernelGen.MeanSquaredErrorAttribute":
                    if (loss is not null)
                        diagnostics.Add(DiagnosticInfo.Create(Descriptors.DuplicateLoss, location, Pos(position), display, name));
                    else
                    {
                        loss = display == "SoftmaxCrossEntropy" ? LossKind.SoftmaxCrossEntropy : LossKind.MeanSquaredError;
                        lossPosition = position;
                        if (loss == LossKind.SoftmaxCrossEntropy && layers.Count > 0 && width == 1)
                            diagnostics.Add(DiagnosticInfo.Create(Descriptors.TooFewClasses, location, Pos(position)));
                    }
                    break;
                case "KernelGen.SgdAttribute":
                case "KernelGen.MomentumAttribute":
                case "KernelGen.NesterovAttribute":
                case "KernelGen.AdaGradAttribute":
                case "KernelGen.RmsPropAttribute":
                case "KernelGen.AdamAttribute":
                case "KernelGen.AdadeltaAttribute":
                {
                    OptimizerSpec parsed = ParseOptimizer(a, display, diagnostics, location, position);
                    if (optimizer is not null)
                        diagnostics.Add(DiagnosticInfo.Create(Descriptors.DuplicateOptimizer, location, Pos(position), display, name));
                    else
                        optimizer = parsed;
                    break;
                }
                case "KernelGen.LearningRateScheduleAttribute":
                {
                    ScheduleSpec parsed = ParseSchedule(a, display, diagnostics, location, position);
                    if (schedule is not null)
                        diagnostics.Add(DiagnosticInfo.Create(Descriptors.DuplicateSchedule, location, Pos(position), name));
                    else
                        schedule = parsed;
                    break;
                }
                default:
                    diagnostics.Add(DiagnosticInfo.Create(Descriptors.UnknownElement, location, Pos(position), display));
                    break;
            }
            if (isLayer && lossPosition >= 0)
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.LossNotLast, location, Pos(position), display, name));
        }

        if (layers.Count == 0) diagnostics.Add(DiagnosticInfo.Create(Descriptors.NoLayers, classLocation, name));
        // Sizes and offsets: the layout the emitter uses, in 64-bit arithmetic; anything over 2^30 floats is an error
        // naming the layer (one buffer) or the network (a whole block), so no generated int constant can wrap.
        if (layers.Count > 0 && shapesValid && inputs is > 0 && batchSize is > 0)
        {
            NetworkLayout layout = NetworkLayout.Compute(inputs.Value, batchSize.Value, layers, layers[layers.Count - 1].Outputs, optimizer?.StateSlots ?? 0);
            var named = new HashSet<int>(); // one KG0012 per layer: its first buffer that does not fit
            foreach (LayoutProblem problem in layout.Problems)
            {
                string floats = problem.Floats.ToString(CultureInfo.InvariantCulture);
                if (problem.Layer >= 0)
                {
                    if (!named.Add(problem.Layer)) continue;
                    LayerSpec l = layers[problem.Layer];
                    diagnostics.Add(DiagnosticInfo.Create(Descriptors.TooLarge, layerLocations[l.Index], Pos(l.Index), l.Kind.ToString(), floats, problem.What));
                }
                else
                    diagnostics.Add(DiagnosticInfo.Create(Descriptors.NetworkTooLarge, classLocation, name, floats, problem.What));
            }
        }
        if (loss is null) diagnostics.Add(DiagnosticInfo.Create(Descriptors.NoLoss, classLocation, name));
        if (optimizer is null) diagnostics.Add(DiagnosticInfo.Create(Descriptors.NoOptimizer, classLocation, name));

        NetworkSpec? spec = null;
        string? ns = symbol.ContainingNamespace is { IsGlobalNamespace: false } n ? string.Join(".", n.ToDisplayString().Split('.').Select(Escape)) : null;
        name = Escape(name); // as source from here on: the generated code declares 'partial class @class
        if (diagnostics.Count == 0 && !incomplete && shapesValid)
            spec = new NetworkSpec(ns, name, inputs!.Value, batchSize!.Value, seed, layers.ToEquatableArray(), loss!.Value, optimizer!, schedule ?? ScheduleSpec.Constant);
        SkeletonSpec? skeleton = null;
        if (spec is null && !diagnostics.Any(d => d.Id == Descriptors.LanguageVersionTooLow.Id) && declaration.Modifiers.Any(SyntaxKind.PartialKeyword) && symbol.ContainingType is null && !symbol.IsGenericType && !symbol.IsStatic)
        {
            var own = symbol.GetMembers().Where(m => !m.IsImplicitlyDeclared && m is not IMethodSymbol { MethodKind: MethodKind.Constructor }).Select(m => m.Name);
            skeleton = new SkeletonSpec(ns, name, own.Distinct().OrderBy(x => x, StringComparer.Ordinal).ToEquatableArray(),
                declaration.ParameterList is not null || symbol.InstanceConstructors.Any(c => !c.IsImplicitlyDeclared));
        }
        return new ParseResult(spec, diagnostics.ToEquatableArray()) { Skeleton = skeleton };
    }

    private static OptimizerSpec ParseOptimizer(AttributeData a, string display, List<DiagnosticInfo> diagnostics, Location location, int position)
    {
        var kind = (OptimizerKind)Enum.Parse(typeof(OptimizerKind), display);
        OptimizerRule rule = OptimizerRule.For(kind); // its defaults; the attribute declares only the properties the kind uses
        float lr = NamedFloat(a, "LearningRate") ?? rule.DefaultLearningRate;
        if (float.IsNaN(lr) || float.IsInfinity(lr) || lr <= 0f)
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.BadLearningRate, location, Pos(position), display, lr.ToString("R", CultureInfo.InvariantCulture)));
        void Check(string property, float value, bool ok, string expected)
        {
            if (!ok) diagnostics.Add(DiagnosticInfo.Create(Descriptors.BadHyperParameter, location, Pos(position), display, property, value.ToString("R", CultureInfo.InvariantCulture), expected));
        }
        static bool Finite(float v) => !float.IsNaN(v) && !float.IsInfinity(v);
        float decay = NamedFloat(a, "WeightDecay") ?? 0f;
        Check("WeightDecay", decay, Finite(decay) && decay >= 0f, "it must be finite and ≥ 0 (0 turns weight decay off)");
        int reg = NamedInt(a, "Regularization") ?? 0;
        if (!Enum.IsDefined(typeof(RegKind), reg))
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.UnknownEnumValue, location, Pos(position), display, "Regularization", reg.ToString(CultureInfo.InvariantCulture)));
            reg = 0;
        }
        float beta = NamedFloat(a, "ElasticNetBeta") ?? 1f;
        Check("ElasticNetBeta", beta, Finite(beta) && beta >= 0f, "it must be finite and ≥ 0");
        bool decoupled = NamedBool(a, "Decoupled") ?? false;
        if (decoupled && reg != (int)RegKind.L2)
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.BadHyperParameter, location, Pos(position), display, "Regularization", ((RegKind)reg).ToString(),
                "decoupled weight decay (Decoupled = true) shrinks weights proportionally, which is L2; use Reg.L2 or Decoupled = false"));
        float clip = NamedFloat(a, "ClipNorm") ?? 0f;
        Check("ClipNorm", clip, Finite(clip) && clip >= 0f, "it must be finite and ≥ 0 (0 turns clipping off)");
        float rho = NamedFloat(a, "Rho") ?? rule.DefaultRho;
        Check("Rho", rho, rho >= 0f && rho < 1f, "it must be in [0, 1)");
        int form = NamedInt(a, "Form") ?? 0;
        if (form is not (0 or 1))
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.UnknownEnumValue, location, Pos(position), display, "Form", form.ToString(CultureInfo.InvariantCulture)));
            form = 0;
        }
        float beta1 = NamedFloat(a, "Beta1") ?? 0.9f;
        Check("Beta1", beta1, beta1 >= 0f && beta1 < 1f, "it must be in [0, 1)");
        float beta2 = NamedFloat(a, "Beta2") ?? 0.999f;
        Check("Beta2", beta2, beta2 >= 0f && beta2 < 1f, "it must be in [0, 1)");
        float eps = NamedFloat(a, "Epsilon") ?? rule.DefaultEpsilon;
        Check("Epsilon", eps, Finite(eps) && eps > 0f, "it must be finite and > 0, e.g. 1e-8");
        return new OptimizerSpec(kind, lr, decay, (RegKind)reg, beta, decoupled, clip, rho, form == 1, beta1, beta2, eps);
    }

    private static ScheduleSpec ParseSchedule(AttributeData a, string display, List<DiagnosticInfo> diagnostics, Location location, int position)
    {
        int kind = a.ConstructorArguments.Length > 0 && a.ConstructorArguments[0].Value is int k ? k : -1;
        if (!Enum.IsDefined(typeof(ScheduleKind), kind))
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.UnknownEnumValue, location, Pos(position), display, "Schedule", kind.ToString(CultureInfo.InvariantCulture)));
            kind = 0;
        }
        void Check(string property, double value, bool ok, string expected)
        {
            if (!ok) diagnostics.Add(DiagnosticInfo.Create(Descriptors.BadHyperParameter, location, Pos(position), display, property, value.ToString("R", CultureInfo.InvariantCulture), expected));
        }
        int stepSize = NamedInt(a, "StepSize") ?? 1000;
        Check("StepSize", stepSize, stepSize >= 1, "it must be at least 1");
        float gamma = NamedFloat(a, "Gamma") ?? 0.5f;
        Check("Gamma", gamma, gamma > 0f && gamma <= 1f, "it must be in (0, 1]");
        float decayRate = NamedFloat(a, "DecayRate") ?? 1e-3f;
        Check("DecayRate", decayRate, !float.IsNaN(decayRate) && !float.IsInfinity(decayRate) && decayRate >= 0f, "it must be finite and ≥ 0");
        int total = NamedInt(a, "TotalSteps") ?? 10000;
        Check("TotalSteps", total, total >= 1, "it must be at least 1");
        float min = NamedFloat(a, "MinLearningRate") ?? 0f;
        Check("MinLearningRate", min, !float.IsNaN(min) && !float.IsInfinity(min) && min >= 0f, "it must be finite and ≥ 0");
        int warmup = NamedInt(a, "WarmupSteps") ?? 0;
        Check("WarmupSteps", warmup, warmup >= 0, "it must be ≥ 0");
        return new ScheduleSpec((ScheduleKind)kind, stepSize, gamma, decayRate, total, min, warmup);
    }

    private static string Pos(int position) => position.ToString(CultureInfo.InvariantCulture);

    private static bool IsNetworkElement(INamedTypeSymbol? type)
    {
        for (INamedTypeSymbol? t = type?.BaseType; t is not null; t = t.BaseType)
        {
            if (t.Name == "NetworkElementAttribute" && t.ContainingNamespace is { Name: "KernelGen", ContainingNamespace.IsGlobalNamespace: true })
                return true;
        }
        return false;
    }

    private static string FullName(INamedTypeSymbol type) => type.ContainingNamespace.ToDisplayString() + "." + type.Name;

    private static bool HasErrors(AttributeData a)
        => a.AttributeClass is null || a.AttributeClass.TypeKind == TypeKind.Error || a.AttributeConstructor is null
           || a.ConstructorArguments.Any(c => c.Kind == TypedConstantKind.Error)
           || a.NamedArguments.Any(n => n.Value.Kind == TypedConstantKind.Error);

    private static Location? LocationOf(AttributeData a, CancellationToken ct) => a.ApplicationSyntaxReference?.GetSyntax(ct).GetLocation();

    private static TypedConstant? Named(AttributeData a, string name)
    {
        foreach (KeyValuePair<string, TypedConstant> pair in a.NamedArguments)
        {
            if (pair.Key == name) return pair.Value;
        }
        return null;
    }

    private static int? NamedInt(AttributeData a, string name) => Named(a, name)?.Value is int v ? v : null;
    private static bool? NamedBool(AttributeData a, string name) => Named(a, name)?.Value is bool v ? v : null;
    private static float? NamedFloat(AttributeData a, string name) => Named(a, name)?.Value switch
    {
        float f => f,
        double d => (float)d,
        _ => null,
    };
}
