using System;
using System.Collections.Generic;
using System.Linq;
using KernelGen.Generators.Model;

namespace KernelGen.Generators.Emit;

/// <summary>
/// One computation step. A dense or batch-norm layer with an activation right after it whose derivative
/// follows from its output is one node (the activation is fused into its kernels); any other layer is a
/// node of its own.
/// </summary>
internal sealed class Node
{
    public int Number { get; set; }
    public LayerSpec Layer { get; set; } = null!;
    public LayerSpec? FusedActivation { get; set; }
    public Node? Previous { get; set; }
    public NetworkPlan Plan { get; set; } = null!;
    /// <summary>Offsets of this node's buffers in the workspace: Y = output, D = the gradient this node's backward consumes.</summary>
    public int OutputOffset { get; set; }
    public int GradientOffset { get; set; }
    /// <summary>Parameter offsets: Dense W and b; BatchNorm and LayerNorm γ (as W) and β (as b); PReLU α (as W).</summary>
    public int WeightOffset { get; set; } = -1;
    public int BiasOffset { get; set; } = -1;
    /// <summary>BatchNorm: batch mean and 1/√(σ²+ε) per feature in the workspace; running mean then variance in the statistics block.
    /// LayerNorm: mean and 1/√(σ²+ε) per row in the workspace (no running statistics).</summary>
    public int MeanOffset { get; set; } = -1;
    /// <summary>Dense or layer norm with GELU or SiLU fused: f′ at the pre-activation in the workspace, written by the training forward.</summary>
    public int DerivativeOffset { get; set; } = -1;
    public int RunningOffset { get; set; } = -1;
    /// <summary>Dense: the batch norm folded into this layer's weights for Predict (a Dense → BatchNorm pair).</summary>
    public Node? FoldedInto { get; set; }
    /// <summary>Offset of the folded W′ (then b′) in the folded block.</summary>
    public int FoldedOffset { get; set; } = -1;
    /// <summary>Batch norm: the dropout node right after it, whose mask this node's training kernels apply (issue 14 part 3): the
    /// forward's store pass writes the dropout's output too, and the backward reads the dropout's gradient through the same mask.</summary>
    public Node? FusedDropout { get; set; }
    /// <summary>Dropout: the batch-norm node whose kernels do this node's work in training (it has no pass of its own), or null.</summary>
    public Node? DropoutFusedInto { get; set; }
    /// <summary>Dense: the PReLU node right after it, whose forward this node's kernels do (issue 14 part 3): the epilogue applies
    /// α per unit to the tile and stores the PReLU's output, and in training keeps the pre-activation (this node's own output, the
    /// PReLU backward's input) as well. The PReLU keeps its backward kernel (dx and dα from the kept pre-activation).</summary>
    public Node? FusedPReLU { get; set; }
    /// <summary>PReLU: the dense node whose kernels do this node's forward (it has no forward pass of its own), or null.</summary>
    public Node? PReLUFusedInto { get; set; }
    /// <summary>Set on the shadow node that emits a folded forward kernel.</summary>
    public string? NameOverride { get; set; }

    public LayerKind Kind => Layer.Kind;
    public bool IsDense => Layer.Kind == LayerKind.Dense;
    public bool IsBatchNorm => Layer.Kind == LayerKind.BatchNorm;
    public bool IsLayerNorm => Layer.Kind == LayerKind.LayerNorm;
    /// <summary>Batch or layer norm: γ (as W) and β (as b), an activation may be fused into it.</summary>
    public bool IsNormalization => IsBatchNorm || IsLayerNorm;
    public bool IsPReLU => Layer.Kind == LayerKind.Activation && Layer.Act == ActKind.PReLU;
    public bool HasParameters => IsDense || IsNormalization || IsPReLU;
    /// <summary>A second parameter tensor after the weights: a dense bias, batch or layer norm's β.</summary>
    public bool HasBiasTensor => IsDense && Layer.Bias || IsNormalization;

    /// <summary>Coupled weight decay: the dW kernel adds the penalty's gradient (reads the weights).</summary>
    public bool DecayInGradient { get; set; }

    /// <summary>Whether some node with parameters comes before this one: only then is ∂L/∂(this node's input) needed.</summary>
    public bool NeedsInputGradient
    {
        get
        {
            for (Node? n = Previous; n is not null; n = n.Previous)
            {
                if (n.HasParameters) return true;
            }
            return false;
        }
    }
    public string Name => NameOverride ?? "L" + CodeWriter.Int(Layer.Index);
    /// <summary>
    /// The name of this node's kernels (before _Forward_V512 etc.): its shape signature, e.g. Dense_784x256_ReLU, shared by every
    /// node whose kernels are the same text (KernelSet). Set by NetworkEmitter before any kernel or call is written.
    /// </summary>
    public string KernelName { get; set; } = "";
    /// <summary>Dense with a batch norm folded in: the name of its folded forward kernel (a Dense kernel with bias and the batch norm's activation).</summary>
    public string FoldedKernelName { get; set; } = "";
    public int Inputs => Layer.Inputs;
    public int Outputs => Layer.Outputs;

    /// <summary>The activation applied to this node's output (the fused one for dense and batch norm, its own for an activation node).</summary>
    public ActKind Activation => Layer.Kind switch
    {
        LayerKind.Dense or LayerKind.BatchNorm or LayerKind.LayerNorm => FusedActivation?.Act ?? ActKind.Identity,
        LayerKind.Activation => Layer.Act,
        _ => ActKind.Identity,
    };

    public float Alpha => Layer.Kind == LayerKind.Activation ? Layer.Alpha : FusedActivation?.Alpha ?? 0f;

    /// <summary>For a dense or batch-norm node with a fused activation, D holds ∂L/∂(pre-activation): whoever writes D multiplies by f′ (<see cref="DerivativeSource"/>, <see cref="FusedDerivative"/>).</summary>
    public bool GradientIncludesDerivative => (IsDense || IsNormalization) && Activation != ActKind.Identity;

    /// <summary>A dense or layer-norm node with GELU or SiLU fused: its training forward keeps f′ (at the pre-activation) in <see cref="FConst"/>.</summary>
    public bool KeepsDerivative => DerivativeOffset >= 0; // the layout's decision (NetworkLayout.Fuses): one place

    /// <summary>The workspace view a kernel writing this node's D reads f′ from (with <see cref="FusedDerivative"/>): the kept
    /// derivative where the node keeps one, else the output.</summary>
    public string DerivativeSource => KeepsDerivative ? FConst : YConst;

    /// <summary>What a writer of this node's D multiplies by, for the generated comments.</summary>
    public string DerivativeText => KeepsDerivative ? $"{Activation}′ kept by {Name}'s forward" : $"{Activation}′ of {Name}'s output";

    /// <summary>f′ of this node's fused activation as an expression of <paramref name="v"/>, a value loaded from
    /// <see cref="DerivativeSource"/> at the same element: the value itself where f′ was kept, else f′ from the output.</summary>
    public string FusedDerivative(Targets.VectorTarget t, string v) => KeepsDerivative ? v : NetworkPlan.DerivativeFromOutput(Activation, Alpha, t, v);

    /// <summary>The workspace view the forward writes its result into: a fused PReLU's output, else the node's own.</summary>
    public string OutputConst => FusedPReLU?.YConst ?? YConst;

    /// <summary>Whether the training forward writes a second array beside its output for the backward: f′ of a fused GELU or SiLU
    /// (<see cref="KeepsDerivative"/>), or a fused PReLU's pre-activation (<see cref="FusedPReLU"/>).</summary>
    public bool KeepsForBackward => KeepsDerivative || FusedPReLU is not null;

    /// <summary>The workspace view of what the training forward keeps: f′, or the pre-activation in the node's own output (PReLU).</summary>
    public string KeptConst => KeepsDerivative ? FConst : YConst;

    /// <summary>The forward kernel's argument for what it keeps (<see cref="KeepsForBackward"/>): the kept view (at
    /// <paramref name="offset"/> past its start, e.g. a thread's rows) in training, a null reference in inference (nothing kept).</summary>
    public string KeptArgument(bool inference, string offset = "")
        => inference ? $"ref {Targets.VectorTarget.Unsafe}.NullRef<float>()" : $"ref {Targets.VectorTarget.At("ws", KeptConst + offset)}";

    public string YConst => Name + "_Y";
    public string DConst => Name + "_D";
    public string FConst => Name + "_Fprime";
    public string WConst => Name + (IsNormalization ? "_Gamma" : IsPReLU ? "_Alpha" : "_W");
    public string BConst => Name + (IsNormalization ? "_Beta" : "_B");
    public string StatsConst => Name + "_Stats";
    /// <summary>Batch norm's per-feature block in the workspace: mean at +0, 1/√(σ²+ε) at +<see cref="StatsStride"/>, batch σ² at +2·stride.</summary>
    public int StatsStride => NetworkPlan.RoundUp(Outputs);
    public string RunningConst => Name + "_Running";
    public string FoldedWConst => Name + "_FoldedW";
    public string FoldedBConst => Name + "_FoldedB";
}

/// <summary>A contiguous run of parameters and whether weight decay applies to it.</summary>
internal readonly struct ParameterSegment
{
    public ParameterSegment(string start, int length, bool decay, string what, int layer)
    {
        Layer = layer;
        Start = start;
        Length = length;
        Decay = decay;
        What = what;
    }

    /// <summary>0-based position of the owning layer in the attribute stack (what SetFrozen names).</summary>
    public int Layer { get; }
    public string Start { get; }
    public int Length { get; }
    public bool Decay { get; }
    public string What { get; }
}

/// <summary>Fusion decisions and memory layout, derived once from the spec.</summary>
internal sealed class NetworkPlan
{
    /// <summary>Every view starts on a 64-byte boundary: 16 floats.</summary>
    public const int AlignFloats = NetworkLayout.AlignFloats;

    public NetworkPlan(NetworkSpec spec)
    {
        Spec = spec;
        // Every size and offset comes from the layout, computed in 64-bit arithmetic; the parser reported any
        // that does not fit (KG0012 / KG0013), so one reaching here is a generator bug.
        NetworkLayout layout = NetworkLayout.Compute(spec.Inputs, spec.BatchSize, spec.Layers.Items, spec.Outputs, spec.Optimizer.StateSlots);
        if (layout.Problems.Count > 0)
            throw new InvalidOperationException("bug: the layout of " + spec.ClassName + " has a size the parser should have reported: " + layout.Problems[0].What);
        Layout = layout;
        var nodes = new List<Node>();
        foreach (LayoutNode ln in layout.Nodes)
        {
            LayerSpec layer = spec.Layers[ln.Layer];
            nodes.Add(new Node
            {
                Number = nodes.Count, Layer = layer, Previous = nodes.Count > 0 ? nodes[nodes.Count - 1] : null, Plan = this,
                FusedActivation = ln.FusedActivation >= 0 ? spec.Layers[ln.FusedActivation] : null,
                DecayInGradient = layer.Kind == LayerKind.Dense && spec.Optimizer.CoupledDecay,
                WeightOffset = checked((int)ln.WeightOffset), BiasOffset = checked((int)ln.BiasOffset),
                RunningOffset = checked((int)ln.RunningOffset), FoldedOffset = checked((int)ln.FoldedOffset),
                OutputOffset = checked((int)ln.OutputOffset), GradientOffset = checked((int)ln.GradientOffset),
                MeanOffset = checked((int)ln.MeanOffset), DerivativeOffset = checked((int)ln.DerivativeOffset),
            });
        }
        Nodes = nodes;
        foreach (Node n in nodes)
        {
            if (n.FoldedOffset >= 0) n.FoldedInto = nodes[n.Number + 1];
            // Dropout right after a batch norm (with or without its fused activation) runs inside the batch norm's kernels. Not
            // the last node: inference runs the last node's own forward kernel (a copy), and a fused dropout has none.
            if (n.Kind == LayerKind.Dropout && n.Previous is { IsBatchNorm: true } bn && n.Number < nodes.Count - 1)
            {
                bn.FusedDropout = n;
                n.DropoutFusedInto = bn;
            }
            // PReLU right after a single-piece dense layer with nothing fused into it runs in the dense epilogue (its α is a
            // parameter, so it stays a node of its own: its tensor, its backward, its place in Info and the exports).
            if (n.IsPReLU && n.Previous is { IsDense: true, FusedActivation: null } dense && dense.Layer.Pieces == 1)
            {
                dense.FusedPReLU = n;
                n.PReLUFusedInto = dense;
            }
        }

        // Parameter runs in layout order, with whether weight decay applies: the trainable tensors of the one tensor list.
        Tensors = LayerEmitter.TensorsOf(nodes);
        var segments = new List<ParameterSegment>();
        foreach (TensorDecl t in Tensors)
        {
            if (!t.Statistics) segments.Add(new ParameterSegment(t.Offset, t.Length, t.Decay, t.Name, t.Layer));
        }
        Segments = segments;
        ParameterCount = checked((int)layout.ParameterCount);
        ParameterCapacity = checked((int)layout.ParameterCapacity);
        StatisticsCount = checked((int)layout.StatisticsCount);
        FoldedLength = checked((int)layout.FoldedLength);
        ProbabilitiesOffset = checked((int)layout.ProbabilitiesOffset);
        WorkspaceLength = checked((int)layout.WorkspaceLength);
    }

    /// <summary>The sizes and offsets in 64-bit arithmetic, as the parser checked them.</summary>
    public NetworkLayout Layout { get; }

    public NetworkSpec Spec { get; }
    public IReadOnlyList<Node> Nodes { get; }
    public Node Last => Nodes[Nodes.Count - 1];
    public int ParameterCount { get; }
    /// <summary>Parameter and gradient blocks are padded with zeros to a multiple of 16 floats, so the
    /// optimizer's pass needs no tail at any width.</summary>
    public int ParameterCapacity { get; }
    public int ProbabilitiesOffset { get; }
    /// <summary>Every parameter run in layout order, with whether weight decay applies (dense weights only).</summary>
    public IReadOnlyList<ParameterSegment> Segments { get; }
    /// <summary>Every tensor the network owns (LayerEmitter.TensorsOf): what Info.Tensors lists.</summary>
    public IReadOnlyList<TensorDecl> Tensors { get; }
    /// <summary>Floats of running statistics (batch norm means and variances).</summary>
    public int StatisticsCount { get; }
    /// <summary>Floats of folded dense weights and biases for Predict.</summary>
    public int FoldedLength { get; }
    public bool HasBatchNorm => StatisticsCount > 0;
    public bool HasDropout => Nodes.Any(n => n.Kind == LayerKind.Dropout);
    public int WorkspaceLength { get; }

    public static int RoundUp(int floats) => checked((int)NetworkLayout.RoundUp(floats));

    /// <summary>The operator struct implementing an activation, from src/KernelGen/Ops.</summary>
    public static string Operator(ActKind act) => act switch
    {
        ActKind.Identity => "IdentityOperator",
        ActKind.ReLU => "ReLUOperator",
        ActKind.Sigmoid => "SigmoidOperator",
        ActKind.Tanh => "TanhOperator",
        ActKind.LeakyReLU or ActKind.PReLU => "LeakyReLUOperator",
        ActKind.ELU => "ELUOperator",
        ActKind.Softplus => "SoftplusOperator",
        ActKind.GELU => "GeluOperator",
        ActKind.SiLU => "SiLUOperator",
        _ => throw new InvalidOperationException("bug: activation " + act + " reached the emitter"),
    };

    private static string AlphaArgument(ActKind act, float alpha, Targets.VectorTarget t)
        => act is ActKind.LeakyReLU or ActKind.ELU ? ", " + t.Broadcast(CodeWriter.Float(alpha)) : string.Empty;

    /// <summary>f(x) as an expression at target <paramref name="t"/> (α a literal; PReLU goes through <see cref="InvokeWithAlpha"/>).</summary>
    public static string Invoke(ActKind act, float alpha, Targets.VectorTarget t, string x)
    {
        if (act == ActKind.Identity) return x;
        if (act == ActKind.PReLU) throw new InvalidOperationException("bug: PReLU needs its learned α");
        return $"{Operator(act)}.Invoke({x}{AlphaArgument(act, alpha, t)})";
    }

    /// <summary>LeakyReLU form with a per-unit α expression (PReLU).</summary>
    public static string InvokeWithAlpha(string x, string alpha) => $"LeakyReLUOperator.Invoke({x}, {alpha})";

    /// <summary>f′ from the output y, for the activations whose derivative follows from it.</summary>
    public static string DerivativeFromOutput(ActKind act, float alpha, Targets.VectorTarget t, string y)
    {
        if (!act.DerivativeFromOutput()) throw new InvalidOperationException("bug: " + act + "′ needs the input");
        return $"{Operator(act)}.Derivative({y}{AlphaArgument(act, alpha, t)})";
    }

    /// <summary>f′ at the input x (GELU, SiLU; PReLU with a per-unit α expression).</summary>
    public static string DerivativeAtInput(ActKind act, string x, string? alpha = null) => act switch
    {
        ActKind.PReLU => $"LeakyReLUOperator.DerivativeAt({x}, {alpha})",
        ActKind.GELU or ActKind.SiLU => $"{Operator(act)}.DerivativeAt({x})",
        _ => throw new InvalidOperationException("bug: " + act + "′ is taken from the output"),
    };
}
