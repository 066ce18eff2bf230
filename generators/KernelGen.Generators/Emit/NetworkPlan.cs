using System;
using System.Collections.Generic;
using KernelGen.Generators.Model;

namespace KernelGen.Generators.Emit;

/// <summary>
/// One computation step. A dense layer with the activation declared right after it is one node (the
/// activation is fused into its kernels); any other activation is a node of its own.
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
    public int WeightOffset { get; set; } = -1;
    public int BiasOffset { get; set; } = -1;

    public bool IsDense => Layer.Kind == LayerKind.Dense;

    /// <summary>Coupled weight decay: the dW kernel adds the penalty's gradient (reads the weights).</summary>
    public bool DecayInGradient { get; set; }

    /// <summary>Whether some dense layer comes before this node: only then is ∂L/∂(this node's input) needed.</summary>
    public bool NeedsInputGradient
    {
        get
        {
            for (Node? n = Previous; n is not null; n = n.Previous)
            {
                if (n.IsDense) return true;
            }
            return false;
        }
    }
    public string Name => "L" + CodeWriter.Int(Layer.Index);
    public int Inputs => Layer.Inputs;
    public int Outputs => Layer.Outputs;

    /// <summary>The activation applied to this node's output (the fused one for dense, its own otherwise).</summary>
    public ActKind Activation => IsDense ? FusedActivation?.Act ?? ActKind.Identity : Layer.Act;

    /// <summary>For a dense node with a fused activation, D holds ∂L/∂(pre-activation): whoever writes D multiplies by f′(Y).</summary>
    public bool GradientIncludesDerivative => IsDense && Activation != ActKind.Identity;

    public string YConst => Name + "_Y";
    public string DConst => Name + "_D";
    public string WConst => Name + "_W";
    public string BConst => Name + "_B";
}

/// <summary>Fusion decisions and memory layout, derived once from the spec.</summary>
internal sealed class NetworkPlan
{
    /// <summary>Every view starts on a 64-byte boundary: 16 floats.</summary>
    public const int AlignFloats = 16;

    public NetworkPlan(NetworkSpec spec)
    {
        Spec = spec;
        var nodes = new List<Node>();
        for (int i = 0; i < spec.Layers.Count; i++)
        {
            LayerSpec layer = spec.Layers[i];
            Node? last = nodes.Count > 0 ? nodes[nodes.Count - 1] : null;
            if (layer.Kind == LayerKind.Activation && last is { IsDense: true, FusedActivation: null })
            {
                last.FusedActivation = layer;
                continue;
            }
            nodes.Add(new Node { Number = nodes.Count, Layer = layer, Previous = last, Plan = this, DecayInGradient = layer.Kind == LayerKind.Dense && spec.Optimizer.CoupledDecay });
        }
        Nodes = nodes;

        // Parameters: canonical layout, per dense layer W [out, in] row-major then b [out].
        int p = 0;
        foreach (Node n in nodes)
        {
            if (!n.IsDense) continue;
            n.WeightOffset = p;
            p += n.Inputs * n.Outputs;
            if (n.Layer.Bias)
            {
                n.BiasOffset = p;
                p += n.Outputs;
            }
        }
        ParameterCount = p;
        ParameterCapacity = RoundUp(Math.Max(p, 1));

        // Workspace: per node Y and D for BatchSize rows, then the probabilities (softmax) buffer.
        int w = 0;
        foreach (Node n in nodes)
        {
            n.OutputOffset = w;
            w += RoundUp(spec.BatchSize * n.Outputs);
            n.GradientOffset = w;
            w += RoundUp(spec.BatchSize * n.Outputs);
        }
        ProbabilitiesOffset = w;
        w += RoundUp(spec.BatchSize * spec.Outputs);
        WorkspaceLength = w;
    }

    public NetworkSpec Spec { get; }
    public IReadOnlyList<Node> Nodes { get; }
    public Node Last => Nodes[Nodes.Count - 1];
    public int ParameterCount { get; }
    /// <summary>Parameter and gradient blocks are padded with zeros to a multiple of 16 floats, so the
    /// optimizer's pass needs no tail at any width.</summary>
    public int ParameterCapacity { get; }
    public int ProbabilitiesOffset { get; }
    public int WorkspaceLength { get; }

    public static int RoundUp(int floats) => (floats + AlignFloats - 1) / AlignFloats * AlignFloats;

    /// <summary>The operator struct implementing an activation, from src/KernelGen/Ops.</summary>
    public static string Operator(ActKind act) => act switch
    {
        ActKind.Identity => "global::KernelGen.Ops.IdentityOperator",
        ActKind.ReLU => "global::KernelGen.Ops.ReLUOperator",
        ActKind.Sigmoid => "global::KernelGen.Ops.SigmoidOperator",
        ActKind.Tanh => "global::KernelGen.Ops.TanhOperator",
        _ => throw new InvalidOperationException("bug: activation " + act + " reached the emitter"),
    };
}
