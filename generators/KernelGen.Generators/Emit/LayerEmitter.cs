using System;
using System.Collections.Generic;
using System.Linq;
using KernelGen.Generators.Emit.Targets;
using KernelGen.Generators.Model;
using static KernelGen.Generators.Emit.CodeWriter;

namespace KernelGen.Generators.Emit;

/// <summary>
/// A case the generator's own code should never reach (a layer or optimizer kind without an emitter, a fused pair it did
/// not plan). NetworkGenerator reports it as KG9001, naming the network: never a silent fallback to another kind's code.
/// </summary>
internal sealed class GeneratorBugException : InvalidOperationException
{
    public GeneratorBugException(string what) : base("bug: " + what) { }
}

/// <summary>One tensor a layer owns, as Info.Tensors lists it (the runtime's TensorInfo, with its offset as a layout constant).</summary>
/// <param name="Name">PyTorch-style, e.g. fc1.weight, bn1.running_mean.</param>
/// <param name="Role">Member of KernelGen.TensorRole.</param>
/// <param name="Layer">0-based index of the owning layer in the attribute stack.</param>
/// <param name="Statistics">In the running statistics block (else in Parameters, with a gradient and optimizer state).</param>
/// <param name="Offset">The layout constant of its first element, e.g. L0_W.</param>
/// <param name="Shape">Row-major shape.</param>
/// <param name="Decay">Whether the declared weight decay applies (dense weights only).</param>
internal sealed record TensorDecl(string Name, string Role, int Layer, bool Statistics, string Offset, int[] Shape, bool Decay)
{
    public int Length => Shape.Aggregate(1, (a, b) => a * b);
}

/// <summary>
/// Everything one layer kind contributes to a network: its description in Info, its parameter constants and initialisation,
/// its workspace views, its kernels at every width and their shape signature, the calls of those kernels from the walks
/// (training forward, inference forward, backward) and how each phase is shared over threads.
/// <see cref="For(LayerSpec, Node?)"/> is the only switch on <see cref="LayerKind"/> in the emitter; NetworkEmitter walks the
/// plan through this type. A new kind is a subclass (docs/architecture.md, "Adding a layer kind").
/// </summary>
/// <remarks>
/// Built for a declared layer (<see cref="Layer"/>) and, when the plan gave it a node of its own, that node: an activation fused
/// into the dense or batch-norm layer before it has no node, and only its description members are used.
/// </remarks>
internal abstract class LayerEmitter
{
    private readonly Node? _node;

    protected LayerEmitter(LayerSpec layer, Node? node)
    {
        Layer = layer;
        _node = node;
    }

    public LayerSpec Layer { get; }

    /// <summary>The node this layer computes in (every member but the description ones needs it).</summary>
    public Node Node => _node ?? throw new GeneratorBugException($"layer {Layer.Index} ({Layer.Kind}) is fused and has no node of its own");

    /// <summary>The one factory: every kind the parser accepts has an emitter; anything else is a generator bug (KG9001).</summary>
    public static LayerEmitter For(LayerSpec layer, Node? node = null) => layer.Kind switch
    {
        LayerKind.Dense => new DenseEmitter(layer, node),
        LayerKind.Activation => new ActivationEmitter(layer, node),
        LayerKind.BatchNorm => new BatchNormEmitter(layer, node),
        LayerKind.Dropout => new DropoutEmitter(layer, node),
        LayerKind.Maxout => new MaxoutEmitter(layer, node),
        LayerKind.LayerNorm => new LayerNormEmitter(layer, node),
        _ => throw new GeneratorBugException("layer kind " + layer.Kind + " has no emitter"),
    };

    public static LayerEmitter For(Node node) => For(node.Layer, node);

    // ---------------------------------------------------------------- description (Info, summary)

    /// <summary>The layer in the class summary, e.g. "Dense 256".</summary>
    public abstract string Summary { get; }

    /// <summary>The activation Info lists for this layer (its own for an activation layer).</summary>
    public virtual ActKind InfoActivation => ActKind.Identity;

    /// <summary>Whether Info says the layer has a bias.</summary>
    public virtual bool InfoBias => false;

    /// <summary>Initialisers of the LayerInfo beyond the constructor's arguments (e.g. "Rate = 0.2f").</summary>
    public virtual IEnumerable<string> InfoSettings => Enumerable.Empty<string>();

    // ---------------------------------------------------------------- tensors

    /// <summary>The PyTorch-style module prefix of this kind's tensors (fc, bn, prelu), numbered per prefix from 1; null: it owns none.</summary>
    public virtual string? ModulePrefix => null;

    /// <summary>The tensors this node owns, in canonical order, under module name <paramref name="module"/> (e.g. fc1).</summary>
    public virtual IEnumerable<TensorDecl> Tensors(string module) => Enumerable.Empty<TensorDecl>();

    /// <summary>
    /// Every tensor of the network, in canonical order: the one list the generator derives from the kinds. Info.Tensors is
    /// emitted from it, and the optimizer's parameter segments (which runs it updates, which it decays) come from it too.
    /// </summary>
    public static IReadOnlyList<TensorDecl> TensorsOf(IEnumerable<Node> nodes)
    {
        var list = new List<TensorDecl>();
        var counts = new Dictionary<string, int>();
        foreach (Node n in nodes)
        {
            LayerEmitter e = For(n);
            if (e.ModulePrefix is not string prefix) continue;
            counts[prefix] = counts.TryGetValue(prefix, out int k) ? k + 1 : 1;
            list.AddRange(e.Tensors(prefix + Int(counts[prefix])));
        }
        return list;
    }

    // ---------------------------------------------------------------- layout and state

    /// <summary>The constants of this node's parameters in the parameter block, with what each holds.</summary>
    public virtual void EmitParameterConstants(CodeWriter w) { }

    /// <summary>The constants of this node's running statistics (batch norm), if it keeps any.</summary>
    public virtual void EmitStatisticsConstants(CodeWriter w) { }

    /// <summary>The constants of this node's workspace views: its output Y and the gradient D its backward consumes.</summary>
    public virtual void EmitWorkspaceConstants(CodeWriter w, int batch)
    {
        Node n = Node;
        string act = n.FusedActivation is not null ? $" (after {n.Activation}, fused from L{Int(n.FusedActivation.Index)})" : string.Empty;
        string d = n.GradientIncludesDerivative ? $"∂L/∂(pre-{n.Activation})" : "∂L/∂output";
        w.Line($"internal const int {n.YConst} = {Int(n.OutputOffset)}; // [{Int(batch)} × {Int(n.Outputs)}] output of {n.Name}{act}");
        w.Line($"internal const int {n.DConst} = {Int(n.GradientOffset)}; // [{Int(batch)} × {Int(n.Outputs)}] {d} of {n.Name}");
        if (n.KeepsDerivative)
            w.Line($"internal const int {n.FConst} = {Int(n.DerivativeOffset)}; // [{Int(batch)} × {Int(n.Outputs)}] {n.Activation}′ at the pre-activation of {n.Name}, kept by the training forward");
    }

    /// <summary>The constructor's initialisation of this node's parameters and statistics (the seed is <c>s</c>).</summary>
    public virtual void EmitInitialization(CodeWriter w) { }

    /// <summary>Folds the last training batch's statistics into the running ones (batch norm; <c>st</c>, <c>ws</c>, <c>unbiased</c> in scope).</summary>
    public virtual void EmitRunningUpdate(CodeWriter w) { }

    // ---------------------------------------------------------------- kernels and calls

    /// <summary>The kernels' shape signature, e.g. Dense_784x256_ReLU: the start of their names, shared with every node of the same code.</summary>
    public abstract string Signature { get; }

    /// <summary>Whether this node has kernels of its own (false: its work is fused into another node's, e.g. a dropout after batch norm).</summary>
    public virtual bool HasKernels => true;

    /// <summary>This node's kernels at every width (named after <see cref="Node.KernelName"/>).</summary>
    public abstract void EmitKernels(CodeWriter w, IReadOnlyList<VectorTarget> targets);

    /// <summary>Multiply-adds per row of the forward pass ×2 (what decides whether inference is split over threads).</summary>
    public virtual long ForwardFlopsPerRow => 0;

    /// <summary>
    /// The forward call reading <paramref name="input"/> (x, ws, p, st, rows in scope); <paramref name="train"/> and
    /// <paramref name="drop"/> are expressions of the mode; <paramref name="rowOffset"/>: rows start at r0 (a thread's inference share).
    /// </summary>
    public abstract string ForwardCall(VectorTarget t, string input, string train, string drop, bool rowOffset = false);

    /// <summary>The statement of the training walk (Forward_): by default the forward call (x, ws, p, st, rows, train, drop in scope).</summary>
    public virtual string ForwardStatement(VectorTarget t) => ForwardCall(t, Input(Node), "train", "drop") + ";";

    /// <summary>The statement(s) of the backward walk (Backward_), or null: by default <see cref="BackwardCall"/>.</summary>
    public virtual string? BackwardStatement(VectorTarget t) => BackwardCall(t);

    /// <summary>Inference: true when this node is the identity there and the next one reads its input (dropout).</summary>
    public virtual bool IdentityAtInference => false;

    /// <summary>The backward call(s), or null when the node has nothing to do (no parameters, nothing learns below).</summary>
    public abstract string? BackwardCall(VectorTarget t);

    // ---------------------------------------------------------------- threads

    /// <summary>The line of ForwardParallel for this node's phase: by default the whole layer on the calling thread.</summary>
    public virtual string ForwardPhase(int phase) => $"RunPart({Int(phase)}, 0, 1); // {Node.Name} {Layer.Kind}, on this thread";

    /// <summary>The line of BackwardParallel for this node's phase, or null when it has no backward.</summary>
    public virtual string? BackwardPhase(int phase)
        => BackwardCall(VectorTarget.Scalar) is null ? null : $"RunPart({Int(phase)}, 0, 1); // {Node.Name} {Layer.Kind} backward, on this thread";

    /// <summary>This node's cases in RunPart_ (a thread's share of its phases): by default whole, as part 0 of 1.</summary>
    public virtual void EmitParts(CodeWriter w, VectorTarget t, int forward, int backward)
    {
        w.Line($"case {Int(forward)}: {ForwardCall(t, Input(Node), "train", "drop")}; break; // whole, on one thread");
        string? back = BackwardCall(t);
        if (back is not null) w.Line($"case {Int(backward)}: {back} break;");
    }

    // ---------------------------------------------------------------- helpers for the subclasses

    protected static string RefAt(string r, string offset) => $"ref {VectorTarget.At(r, offset)}";

    /// <summary>The input of a node: the previous node's output, or the network's input x.</summary>
    internal static string Input(Node n) => n.Previous is null ? "ref x" : RefAt("ws", n.Previous.YConst);

    /// <summary>The dropout stream key of a node at this step (seed, step in scope).</summary>
    protected static string DropoutKey(Node n) => $"DropoutMask.Key(seed, step, {Int(n.Layer.Ordinal)})";
}
