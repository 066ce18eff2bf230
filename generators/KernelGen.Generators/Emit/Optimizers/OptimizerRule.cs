using System;
using System.Collections.Generic;
using KernelGen.Generators.Emit.Targets;
using KernelGen.Generators.Model;
using static KernelGen.Generators.Emit.CodeWriter;

namespace KernelGen.Generators.Emit.Optimizers;

/// <summary>
/// One optimizer kind, declared in one place: its name, the defaults of its hyper-parameters, its state slots
/// (their number is the length of <see cref="Slots"/>), the per-step constants it needs and its per-element
/// update written once against <see cref="VectorTarget"/>. <see cref="OptimizerEmitter"/> emits the fused pass
/// around it (clipping, frozen segments, decoupled decay, threading) the same way for every kind.
/// </summary>
/// <remarks>
/// The only switch on <see cref="OptimizerKind"/> is <see cref="For"/>. Adding an optimizer: a subclass here, a
/// case there, the enum value in <c>Model/NetworkSpec.cs</c>, the attribute (docs/architecture.md has the list).
/// </remarks>
internal abstract class OptimizerRule
{
    private static readonly OptimizerRule[] Rules =
    {
        new Sgd(), new Momentum(), new Nesterov(), new AdaGrad(), new RmsProp(), new Adam(), new Adadelta(),
    };

    /// <summary>The rule of <paramref name="kind"/>; an unknown kind is a generator bug (KG9001), never a fallback.</summary>
    public static OptimizerRule For(OptimizerKind kind) => kind switch
    {
        OptimizerKind.Sgd => Rules[0],
        OptimizerKind.Momentum => Rules[1],
        OptimizerKind.Nesterov => Rules[2],
        OptimizerKind.AdaGrad => Rules[3],
        OptimizerKind.RmsProp => Rules[4],
        OptimizerKind.Adam => Rules[5],
        OptimizerKind.Adadelta => Rules[6],
        _ => throw new InvalidOperationException("KG9001: optimizer kind " + kind + " has no OptimizerRule (a generator bug)"),
    };

    /// <summary>The kind this rule implements.</summary>
    public abstract OptimizerKind Kind { get; }

    /// <summary>The optimizer in words, for comments and <c>Info.Optimizer</c> (e.g. "AdamW").</summary>
    public abstract string Name(OptimizerSpec o);

    /// <summary>Names of the state slots, in slot order (<c>Info.OptimizerSlots</c>, checkpoint tensor names
    /// <c>optimizer.{slot}.…</c>). Each slot is one float per parameter.</summary>
    public virtual IReadOnlyList<string> Slots => Array.Empty<string>();

    /// <summary>η when the attribute leaves <c>LearningRate</c> unset.</summary>
    public virtual float DefaultLearningRate => 0.01f;

    /// <summary>ρ when the attribute leaves <c>Rho</c> unset (kinds without ρ keep it and ignore it).</summary>
    public virtual float DefaultRho => 0.9f;

    /// <summary>ε when the attribute leaves <c>Epsilon</c> unset (kinds without ε keep it and ignore it).</summary>
    public virtual float DefaultEpsilon => 1e-8f;

    /// <summary>
    /// Writes, in <c>Update()</c>, the per-step constants <c>c1</c> and <c>c2</c> the kernel receives (floats; the
    /// step number is <c>_step</c>, the scheduled rate <c>lr</c>). Most kinds need none.
    /// </summary>
    public virtual void StepConstants(CodeWriter w, OptimizerSpec o) => w.Line("float c1 = 0f, c2 = 0f;");

    /// <summary>
    /// The update of one element (a vector, or one float): <c>gi</c> (the clipped gradient) and <c>pi</c> (the
    /// parameter, decoupled decay applied) are declared; the body loads and stores its slots and assigns <c>pi</c>.
    /// </summary>
    public abstract void Element(OptimizerElement e);
}

/// <summary>What an <see cref="OptimizerRule.Element"/> body writes with: names of the kernel's values at this width.</summary>
internal sealed class OptimizerElement
{
    private readonly CodeWriter _w;
    private readonly string _i;

    public OptimizerElement(CodeWriter w, OptimizerSpec o, VectorTarget t, string i)
    {
        _w = w;
        _i = i;
        Spec = o;
        Target = t;
        string v = t.IsScalar ? string.Empty : "V";
        Lr = "lr" + v;
        C1 = "c1" + v;
        C2 = "c2" + v;
    }

    /// <summary>The declared hyper-parameters.</summary>
    public OptimizerSpec Spec { get; }

    /// <summary>The width being emitted.</summary>
    public VectorTarget Target { get; }

    /// <summary>The element type (a vector type, or <c>float</c>).</summary>
    public string Type => Target.Type;

    /// <summary>The scheduled rate η, and the per-step constants of <see cref="OptimizerRule.StepConstants"/>, at this width.</summary>
    public string Lr { get; }
    public string C1 { get; }
    public string C2 { get; }

    /// <summary>A hyper-parameter as a literal at this width.</summary>
    public string Constant(float f) => Target.Broadcast(Float(f));

    /// <summary>Loads state slot <paramref name="slot"/> of this element.</summary>
    public string LoadSlot(int slot) => Target.Load("s", SlotOffset(slot));

    /// <summary>The statement storing <paramref name="value"/> to state slot <paramref name="slot"/> of this element.</summary>
    public string StoreSlot(string value, int slot) => Target.Store(value, "s", SlotOffset(slot));

    public string MultiplyAdd(string a, string b, string c) => Target.MultiplyAdd(a, b, c);

    public string Sqrt(string v) => Target.Sqrt(v);

    /// <summary>Writes one statement.</summary>
    public void Line(string statement) => _w.Line(statement);

    private string SlotOffset(int slot) => $"{_i} + {Int(slot)} * ParameterCapacity";
}
