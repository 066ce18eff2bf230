using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using KernelGen.Generators.Emit.Targets;
using KernelGen.Generators.Model;
using static KernelGen.Generators.Emit.CodeWriter;
using static KernelGen.Generators.Emit.RunKernelEmitter;
using static KernelGen.Generators.Emit.NetworkEmitter;
using static KernelGen.Generators.Emit.WalkEmitter;
using static KernelGen.Generators.Emit.ParallelEmitter;

namespace KernelGen.Generators.Emit;

/// <summary>
/// The members of the user's partial class: state, construction, the public API (TrainStep, Predict, Fit, Evaluate, …),
/// the width dispatch and RunKernel. Everything here is emitted into the user's namespace, so names are fully qualified.
/// </summary>
internal static class UserClassEmitter
{
    internal static void EmitMain(CodeWriter w, NetworkPlan plan, IReadOnlyList<VectorTarget> targets)
    {
        NetworkSpec spec = plan.Spec;
        bool classifier = spec.Loss == LossKind.SoftmaxCrossEntropy;
        string name = spec.ClassName;
        const string G = "global::KernelGen.Runtime.Guard";
        const string U = QualifiedUnsafe;
        const string Span = "global::System.Span<float>";
        const string RoSpan = "global::System.ReadOnlySpan";

        // ---- shapes
        w.Line("/// <summary>Input features per row.</summary>");
        w.Line($"public const int InputSize = {Int(spec.Inputs)};");
        w.Line("/// <summary>Outputs per row.</summary>");
        w.Line($"public const int OutputSize = {Int(spec.Outputs)};");
        w.Line("/// <summary>Most rows a training step takes.</summary>");
        w.Line($"public const int BatchSize = {Int(spec.BatchSize)};");
        w.Line("/// <summary>Number of parameters (length of <see cref=\"Parameters\"/>).</summary>");
        w.Line($"public const int ParameterCount = {Int(plan.ParameterCount)};");
        w.Line();

        // ---- description
        w.Line("/// <summary>The declared description: layers, shapes, where each layer's parameters live.</summary>");
        w.Line("public static global::KernelGen.NetworkInfo Info { get; } = new global::KernelGen.NetworkInfo(");
        w.Line($"    \"{name}\", InputSize, BatchSize, global::KernelGen.LossKind.{spec.Loss}, {Float(spec.Optimizer.LearningRate)},");
        w.Line("    new global::KernelGen.LayerInfo[]");
        w.Line("    {");
        foreach (LayerSpec l in spec.Layers)
        {
            Node? owner = plan.Nodes.FirstOrDefault(n => n.Layer == l);
            LayerEmitter layer = LayerEmitter.For(l, owner);
            string weights = owner is { HasParameters: true } ? owner.WConst : "-1";
            string bias = owner is { HasParameters: true } && owner.HasBiasTensor ? owner.BConst : "-1";
            string[] settings = layer.InfoSettings.ToArray();
            string init = settings.Length > 0 ? " { " + string.Join(", ", settings) + " }" : string.Empty;
            w.Line($"        new(global::KernelGen.LayerKind.{l.Kind}, {Int(l.Inputs)}, {Int(l.Outputs)}, global::KernelGen.Act.{layer.InfoActivation}, "
                + $"global::KernelGen.Init.{l.Init}, {(layer.InfoBias ? "true" : "false")}, {weights}, {bias}){init},");
        }
        w.Line("    },");
        w.Line("    new global::KernelGen.TensorInfo[]");
        w.Line("    {");
        foreach (TensorDecl t in plan.Tensors)
        {
            string block = t.Statistics ? "Statistics" : "Parameters";
            w.Line($"        new(\"{t.Name}\", global::KernelGen.TensorRole.{t.Role}, {Int(t.Layer)}, global::KernelGen.TensorBlock.{block}, {t.Offset}, "
                + $"new[] {{ {string.Join(", ", t.Shape.Select(Int))} }}, {(t.Decay ? "true" : "false")}),");
        }
        string slotNames = string.Join(", ", OptimizerEmitter.StateNames(spec.Optimizer).Select(n => "\"" + n + "\""));
        w.Line($"    }}) {{ Optimizer = \"{OptimizerEmitter.Describe(spec.Optimizer)}\", OptimizerSlots = new string[] {{ {slotNames} }}, WeightDecay = {Float(spec.Optimizer.WeightDecay)} }};");
        w.Line();

        // ---- state
        bool bn = plan.HasBatchNorm, dropout = plan.HasDropout, folded = plan.FoldedLength > 0;
        bool trainPacked = plan.Nodes.Any(DenseEmitter.IsTrainingPacked), packsInUpdate = DenseEmitter.PacksInUpdate(plan);
        w.Line("private readonly global::KernelGen.Runtime.AlignedBuffer _parameters;");
        w.Line("private readonly global::KernelGen.Runtime.AlignedBuffer _gradients;");
        w.Line("private readonly global::KernelGen.Runtime.AlignedBuffer _workspace;");
        int slots = spec.Optimizer.StateSlots;
        if (slots > 0) w.Line($"private readonly global::KernelGen.Runtime.AlignedBuffer _state; // optimizer state: {Int(slots)} × ParameterCapacity floats");
        if (bn) w.Line("private readonly global::KernelGen.Runtime.AlignedBuffer _statistics; // running mean and variance of every batch norm");
        if (folded) w.Line("private readonly global::KernelGen.Runtime.AlignedBuffer _folded; // Predict/Evaluate: batch norm folded into dense weights, packed weights");
        w.Line("private readonly global::KernelGen.Runtime.Gate _gate = new global::KernelGen.Runtime.Gate(); // one caller at a time; ObjectDisposedException after Dispose");
        w.Line("private readonly global::KernelGen.Isa _isa;");
        w.Line("private readonly int _seed;");
        w.Line("private long _step;");
        w.Line($"private float _baseLearningRate = {Float(spec.Optimizer.LearningRate)}; // η₀ of the schedule (BaseLearningRate)");
        w.Line($"private float _weightDecay = {Float(spec.Optimizer.WeightDecay)}; // λ (WeightDecay)");
        w.Line("private readonly bool[] _frozen = new bool[" + Int(spec.Layers.Count) + "]; // per layer: no update, no decay (SetFrozen)");
        w.Line("private int _frozenCount;");
        w.Line("private readonly global::KernelGen.Runtime.WorkerPool? _pool; // null: one thread");
        w.Line("private int _partRows; // rows of the phase the workers run");
        w.Line("private float _partLr, _partScale, _partC1, _partC2; // the update phase's arguments");
        w.Line("private bool _partAnyFrozen;");
        if (packsInUpdate) w.Line("private bool _partPack;");
        if (plan.HasBatchNorm) w.Line("private bool _partTrain; // batch-norm phases: training mode");
        if (plan.HasDropout) w.Line("private bool _partDrop; private long _partStep; // dropout phases: on, and the step its masks are keyed by");
        if (bn)
        {
            w.Line("private int _batchRows; // rows of the last training-mode forward, whose batch statistics the next update folds into the running ones");
            BatchNormEmitter.EmitSyncMembers(w);
        }
        if (folded) w.Line("private bool _foldedStale = true;");
        if (trainPacked) w.Line("private bool _packedStale = true; // the training forward's packed weights are out of date (set wherever the parameters may change)");
        if (packsInUpdate) w.Line("private int _lastRows; // rows of the last ComputeGradients");
        w.Line();

        // ---- constructor
        w.Line("/// <summary>Creates the network: one block each for parameters, gradients and workspace, initialised from the seed.</summary>");
        w.Line($"/// <param name=\"seed\">Initialisation seed (and dropout stream); default {Int(spec.Seed)} (from [Network]).</param>");
        w.Line("/// <param name=\"isa\">Kernel width; <see cref=\"global::KernelGen.Isa.Auto\"/> picks the widest the CPU accelerates.</param>");
        w.Line("/// <param name=\"threads\">Threads a training step uses (1 to 256; default: the processor count). Results do not depend on it.</param>");
        w.Open($"public {name}(int? seed = null, global::KernelGen.Isa isa = global::KernelGen.Isa.Auto, int? threads = null)");
        w.Line("_isa = global::KernelGen.Runtime.IsaSupport.Resolve(isa, nameof(isa));");
        w.Line("int t = threads ?? global::System.Environment.ProcessorCount;");
        w.Line("if (t < 1 || t > 256) throw new global::System.ArgumentOutOfRangeException(nameof(threads), t, \"Expected 1 to 256 threads.\");");
        w.Line("_parameters = new global::KernelGen.Runtime.AlignedBuffer(ParameterCapacity);");
        w.Line("_gradients = new global::KernelGen.Runtime.AlignedBuffer(GradientCapacity); // + the check slot's line");
        w.Line("bool parallel = t > 1 && HasParallelWork;");
        w.Line("_workspace = new global::KernelGen.Runtime.AlignedBuffer(WorkspaceLength);");
        if (slots > 0) w.Line($"_state = new global::KernelGen.Runtime.AlignedBuffer({Int(slots)} * ParameterCapacity);");
        if (bn) w.Line("_statistics = new global::KernelGen.Runtime.AlignedBuffer(StatisticsCount);");
        if (folded) w.Line("_folded = new global::KernelGen.Runtime.AlignedBuffer(FoldedLength);");
        w.Line($"int s = _seed = seed ?? {Int(spec.Seed)};");
        w.Line("if (parallel) _pool = new global::KernelGen.Runtime.WorkerPool(t - 1);");
        w.Line("// One random stream per layer (stream = layer position), so adding a layer leaves the others' draws alone.");
        foreach (Node n in plan.Nodes) LayerEmitter.For(n).EmitInitialization(w);
        w.Close();
        w.Line();

        // ---- properties
        w.Line("/// <summary>The kernel width this instance runs.</summary>");
        w.Line("public global::KernelGen.Isa Isa => _gate.Check(nameof(Isa), _isa);");
        w.Line("/// <summary>Threads a training step runs on (1 when the network is too small for any phase to be split).</summary>");
        w.Line("public int Threads => _gate.Check(nameof(Threads), _pool is null ? 1 : _pool.Parts);");
        w.Line("/// <summary>The seed of the initialisation and of the dropout masks.</summary>");
        w.Line("public int Seed => _gate.Check(nameof(Seed), _seed);");
        w.Line("/// <summary>Optimizer steps taken (the schedule's t and Adam's bias correction). Settable to resume from a checkpoint; not negative.</summary>");
        w.Open("public long Step");
        w.Line("get => _gate.Check(nameof(Step), _step);");
        w.Line("set { _gate.Alive(nameof(Step)); global::System.ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(Step)); _step = value; }");
        w.Close();
        w.Line($"/// <summary>The schedule's base learning rate η₀ (declared {Float(spec.Optimizer.LearningRate)}); finite and positive. Hyper-parameter search sets it.</summary>");
        w.Open("public float BaseLearningRate");
        w.Line("get => _gate.Check(nameof(BaseLearningRate), _baseLearningRate);");
        w.Line($"set {{ _gate.Alive(nameof(BaseLearningRate)); {G}.PositiveFinite(value, nameof(BaseLearningRate)); _baseLearningRate = value; }}");
        w.Close();
        bool declaredDecay = spec.Optimizer.WeightDecay > 0f;
        w.Line(declaredDecay
            ? $"/// <summary>Weight-decay strength λ ({(spec.Optimizer.Decoupled ? "decoupled" : spec.Optimizer.Regularization.ToString())}, declared {Float(spec.Optimizer.WeightDecay)}); finite and ≥ 0.</summary>"
            : "/// <summary>Weight-decay strength λ: 0, as declared. Declare WeightDecay on the optimizer to tune it; setting another value throws.</summary>");
        w.Open("public float WeightDecay");
        w.Line("get => _gate.Check(nameof(WeightDecay), _weightDecay);");
        w.Line(declaredDecay
            ? $"set {{ _gate.Alive(nameof(WeightDecay)); {G}.NonNegativeFinite(value, nameof(WeightDecay)); _weightDecay = value; }}"
            : $"set {{ _gate.Alive(nameof(WeightDecay)); if (value != 0f) throw new global::System.InvalidOperationException(\"{name} declares no weight decay: its kernels have no decay term. Declare WeightDecay on the optimizer attribute to tune it.\"); }}");
        w.Close();
        w.Line("/// <summary>Whether layer <paramref name=\"layer\"/> (0-based position in the attribute stack) is frozen.</summary>");
        w.Line($"public bool IsFrozen(int layer) => _gate.Check(nameof(IsFrozen), _frozen)[{G}.LayerWithParameters(layer, Info, nameof(layer))];");
        w.Line("/// <summary>Freezes (or thaws) the parameters of one layer: the optimizer skips them (no update, no weight decay, no state change)");
        w.Line("/// and their gradients read 0 after an update. Batch-norm running statistics still follow training-mode batches.</summary>");
        w.Open("public void SetFrozen(int layer, bool frozen = true)");
        w.Line($"int k = {G}.LayerWithParameters(layer, Info, nameof(layer)); _gate.Alive(nameof(SetFrozen));");
        w.Line("if (_frozen[k] == frozen) return;");
        w.Line("_frozen[k] = frozen;");
        w.Line("_frozenCount += frozen ? 1 : -1;");
        w.Close();
        w.Line(slots > 0
            ? $"/// <summary>Optimizer state slot <paramref name=\"slot\"/> ({string.Join(", ", OptimizerEmitter.StateNames(spec.Optimizer).Select((n, k) => Int(k) + ": " + n))}), canonical parameter layout, ParameterCount floats.</summary>"
            : "/// <summary>This optimizer keeps no state: every slot is out of range.</summary>");
        w.Open($"public {Span} OptimizerState(int slot)");
        w.Line($"_gate.Alive(nameof(OptimizerState)); global::System.ArgumentOutOfRangeException.ThrowIfNegative(slot);");
        w.Line($"global::System.ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, {Int(slots)});");
        w.Line(slots > 0 ? "return _state.Slice(slot * ParameterCapacity, ParameterCount);" : "return default;");
        w.Close();
        w.Line("/// <summary>The learning rate the next update uses (the declared schedule at <see cref=\"Step\"/>).</summary>");
        w.Line("public float LearningRate => LearningRateAt(_gate.Check(nameof(LearningRate), _step));");
        w.Line("/// <summary>");
        w.Line("/// Training behaviour of ComputeGradients and TrainStep (default true): batch norm uses the batch's statistics (and");
        w.Line("/// the next update folds them into the running ones) and dropout drops. False: running statistics, no dropout —");
        w.Line("/// what Predict and Evaluate always do.");
        w.Line("/// </summary>");
        w.Line("public bool Training { get => _gate.Check(nameof(Training), _training); set { _gate.Alive(nameof(Training)); _training = value; } } private bool _training = true;");
        w.Line("/// <summary>Dropout in training mode (default true); false keeps every value, e.g. for gradient checking.</summary>");
        w.Line("public bool DropoutEnabled { get => _gate.Check(nameof(DropoutEnabled), _dropoutEnabled); set { _gate.Alive(nameof(DropoutEnabled)); _dropoutEnabled = value; } } private bool _dropoutEnabled = true;");
        string stale = folded ? "_foldedStale = true; " : string.Empty;
        w.Line("/// <summary>All parameters, canonical layout: per layer in order, dense weights [out, in] row-major then bias; batch-norm γ then β; PReLU α.</summary>");
        string paramStale = stale + (trainPacked ? "_packedStale = true; " : string.Empty);
        w.Line($"public {Span} Parameters {{ get {{ {paramStale}return _parameters.Slice(0, ParameterCount); }} }}");
        w.Line("/// <summary>∂(last loss)/∂Parameters, same layout, as of the parameters before the last update.</summary>");
        w.Line($"public {Span} Gradients => _gradients.Slice(0, ParameterCount);");
        w.Line("/// <summary>Running mean then variance of every batch norm, in layer order (empty without batch norm). Saved with the parameters.</summary>");
        w.Line(bn ? $"public {Span} RunningStatistics {{ get {{ {stale}return _statistics.Slice(0, StatisticsCount); }} }}" : $"public {Span} RunningStatistics {{ get {{ _gate.Alive(nameof(RunningStatistics)); return default; }} }}");
        w.Line("global::KernelGen.NetworkInfo global::KernelGen.INetwork.Info => Info;");
        w.Line();

        // Argument lists of Forward/Backward: the running statistics and the mode only where a layer uses them.
        string stP = bn ? ", ref float st" : string.Empty, stA = bn ? ", ref st" : string.Empty;
        string modeP = (bn ? ", bool train, global::KernelGen.Runtime.BatchNormSync? sync" : string.Empty) + (dropout ? ", bool drop, long step" : string.Empty);
        string modeA = (bn ? ", train, sync" : string.Empty) + (dropout ? ", drop, step" : string.Empty);
        string foldP = folded ? ", ref float f" : string.Empty, foldA = folded ? ", ref f" : string.Empty;
        // The dropout stream: the instance passes its seed; Forward/Backward hand theirs on.
        string instanceP = dropout ? ", int seed" : string.Empty, instanceA = dropout ? ", _seed" : string.Empty, seedA = dropout ? ", seed" : string.Empty;
        // Coupled weight decay: λ is a runtime value (WeightDecay), handed to the dW kernels through Backward.
        bool coupled = spec.Optimizer.CoupledDecay;
        string lambdaP = coupled ? ", float lambda" : string.Empty, lambdaA = coupled ? ", lambda" : string.Empty, lambdaI = coupled ? ", _weightDecay" : string.Empty;

        // ---- training
        string tType = classifier ? "int" : "float";
        string tName = classifier ? "labels" : "targets";
        w.Line("/// <summary>Forward, loss, backward and one optimizer update; returns the mean loss over the rows (plus the weight-decay term when it is in the loss).");
        w.Line("/// If the loss is not finite no update is made and the parameters are unchanged. If the loss is finite but a gradient is NaN or");
        w.Line("/// infinite (the backward overflowed), no update is made either and the result is NaN; <see cref=\"Gradients\"/> shows the culprit.");
        w.Line("/// Parameters, optimizer state, running statistics and <see cref=\"Step\"/> are then unchanged.</summary>");
        w.Open($"public float TrainStep({RoSpan}<float> inputs, {RoSpan}<{tType}> {tName})");
        w.Line("using var entered = _gate.Enter(nameof(TrainStep));");
        w.Line($"{G}.StepCanAdvance(_step);");
        w.Line($"float loss = ComputeGradients(inputs, {tName});");
        w.Line("if (!float.IsFinite(loss)) return loss;");
        w.Line("if (!GradientsFinite()) return float.NaN; // the update would have written ±∞ or NaN into the parameters");
        w.Line("Commit();");
        w.Line("return loss;");
        w.Close();
        w.Line();

        GradientCheckEmitter.EmitGradientsFinite(w, plan);
        w.Line();

        w.Line("/// <summary>One optimizer update from the current <see cref=\"Gradients\"/> (after <see cref=\"ComputeGradients\"/>, possibly");
        w.Line("/// edited: accumulated, scaled), then Step + 1. Throws, changing nothing, if a gradient the update uses is NaN or infinite");
        w.Line("/// (a frozen layer's are not used: as in TrainStep, they do not count).</summary>");
        w.Open("public void ApplyUpdate()");
        w.Line("using var entered = _gate.Enter(nameof(ApplyUpdate));");
        w.Line($"{G}.StepCanAdvance(_step);");
        foreach (ParameterSegment seg in plan.Segments)
            w.Line($"if (!_frozen[{Int(seg.Layer)}]) {G}.FiniteGradients(_gradients.Slice({seg.Start}, {Int(seg.Length)}), {seg.Start}); // {seg.What}");
        w.Line("Commit();");
        w.Close();
        w.Line();

        w.Line("/// <summary>The update, the running statistics of the last training-mode batch, Step + 1.</summary>");
        w.Open("private void Commit()");
        w.Line("Update();");
        if (bn)
        {
            w.Open("if (_batchRows > 0)");
            w.Line("UpdateRunningStatistics(_batchRows);");
            w.Line("_batchRows = 0;");
            w.Close();
        }
        if (folded) w.Line("_foldedStale = true;");
        w.Line("_step++;");
        w.Close();
        w.Line();

        if (bn)
        {
            w.Line("/// <summary>Running averages: μ ← m·μ + (1 − m)·μ_B, σ² ← m·σ² + (1 − m)·σ²_B·N/(N − 1) (unbiased batch variance).</summary>");
            w.Open("private void UpdateRunningStatistics(int rows)");
            w.Line("ref float st = ref _statistics.Ref;");
            w.Line("ref float ws = ref _workspace.Ref;");
            w.Line("float unbiased = rows / (rows - 1f);");
            foreach (Node n in plan.Nodes) LayerEmitter.For(n).EmitRunningUpdate(w);
            w.Line("global::System.GC.KeepAlive(this);");
            w.Close();
            w.Line();
        }

        w.Line("/// <summary>Forward, loss and backward without an update; <see cref=\"Gradients\"/> holds the result. Returns the mean loss.</summary>");
        w.Line(AggressiveQualified);
        w.Open($"public float ComputeGradients({RoSpan}<float> inputs, {RoSpan}<{tType}> {tName})");
        w.Line("using var entered = _gate.Enter(nameof(ComputeGradients));");
        if (classifier)
        {
            w.Line("int rows = labels.Length;");
            w.Line($"{G}.Batch(inputs.Length, rows, InputSize, BatchSize, nameof(inputs), nameof(labels));");
            w.Line($"{G}.Labels(labels, OutputSize, nameof(labels));");
        }
        else
        {
            w.Line($"int rows = {G}.Rows(targets.Length, OutputSize, nameof(targets), \"OutputSize\");");
            w.Line($"{G}.Batch(inputs.Length, rows, InputSize, BatchSize, nameof(inputs), nameof(targets));");
            w.Line($"{G}.Finite(targets, nameof(targets));");
        }
        w.Line($"{G}.Finite(inputs, nameof(inputs));");
        if (bn)
        {
            w.Line("bool train = Training;");
            w.Line($"if (train) {G}.BatchNormRows(rows, nameof(inputs));");
            w.Line("global::KernelGen.Runtime.BatchNormSync? sync = _batchSync; // synchronised batch norm, or null");
        }
        if (dropout) w.Line("bool drop = Training && DropoutEnabled;");
        w.Line("ref float x = ref global::System.Runtime.InteropServices.MemoryMarshal.GetReference(inputs);");
        w.Line("ref float p = ref _parameters.Ref;");
        w.Line("ref float g = ref _gradients.Ref;");
        w.Line($"global::System.Runtime.CompilerServices.Unsafe.Add(ref g, {GradientCheckEmitter.Slot}) = 0f; // the dW kernels set it to NaN if a gradient is not finite");
        w.Line("ref float ws = ref _workspace.Ref;");
        if (bn) w.Line("ref float st = ref _statistics.Ref;");
        if (folded) w.Line("ref float f = ref _folded.Ref;");
        if (dropout) w.Line("long step = _step;");
        if (trainPacked) w.Line($"if (_packedStale && rows >= {DenseEmitter.TrainingPackedRowsConst}) RepackTraining(); // after the checks: nothing changes when they throw");
        if (packsInUpdate) w.Line("_lastRows = rows; // the update packs for the next forward only after a packed one");
        string parallelA = (bn ? ", train" : string.Empty) + (dropout ? ", drop, step" : string.Empty); // what the phases read from fields
        w.Line($"if (_pool is not null) ForwardParallel(inputs, rows{parallelA});");
        w.Line($"else Forward(ref x, ref ws, ref p{stA}{foldA}, rows{modeA}{instanceA});");
        w.Line($"float loss = LossAndGradient(ref ws, {tName}, rows);");
        w.Line($"if (_pool is not null) BackwardParallel(inputs, rows{parallelA});");
        w.Line($"else Backward(ref x, ref ws, ref p, ref g, rows{modeA}{instanceA}{lambdaI});");
        if (bn) w.Line("_batchRows = train ? (sync is null ? rows : sync.TotalRows) : 0;");
        if (spec.Optimizer.CoupledDecay) w.Line($"loss += (float)Penalty(); // {spec.Optimizer.Regularization} weight decay; its gradient is fused into the dW kernels");
        w.Line("global::System.GC.KeepAlive(this); // the blocks' finalizer must not run while kernels hold raw references");
        w.Line("return loss;");
        w.Close();
        w.Line();

        if (folded)
        {
            w.Line("/// <summary>Recomputes the inference weights from the parameters and running statistics: the folded weights, then the packed panels");
            w.Line("/// Predict's outer-product kernels read at this instance's width (none at the scalar width, which reads the canonical layout).</summary>");
            w.Open("private void Fold()");
            foreach (Node n in plan.Nodes.Where(n => n.FoldedInto is not null))
            {
                Node b = n.FoldedInto!;
                string bias = n.Layer.Bias ? $"_parameters.Slice({n.BConst}, {Int(n.Outputs)})" : "default";
                w.Line($"global::KernelGen.Runtime.BatchNormFolding.Fold(_parameters.Slice({n.WConst}, {Int(n.Inputs * n.Outputs)}), {bias}, _parameters.Slice({b.WConst}, {Int(n.Outputs)}), _parameters.Slice({b.BConst}, {Int(n.Outputs)}),");
                w.Line($"    _statistics.Slice({b.RunningConst}, {Int(n.Outputs)}), _statistics.Slice({b.RunningConst} + {Int(n.Outputs)}, {Int(n.Outputs)}), {Float(b.Layer.Epsilon)}, _folded.Slice({n.FoldedWConst}, {Int(n.Inputs * n.Outputs)}), _folded.Slice({n.FoldedBConst}, {Int(n.Outputs)}));");
            }
            var packedNodes = plan.Nodes.Where(DenseEmitter.IsPacked).ToList();
            if (packedNodes.Count > 0)
            {
                w.Line(DenseEmitter.PanelOfIsa(targets));
                w.Open("if (panel > 0)");
                foreach (Node n in packedNodes)
                {
                    string wSrc = n.FoldedInto is null ? $"_parameters.Slice({n.WConst}, {Int(n.Inputs * n.Outputs)})" : $"_folded.Slice({n.FoldedWConst}, {Int(n.Inputs * n.Outputs)})";
                    string bSrc = n.FoldedInto is not null ? $"_folded.Slice({n.FoldedBConst}, {Int(n.Outputs)})" : n.Layer.Bias ? $"_parameters.Slice({n.BConst}, {Int(n.Outputs)})" : "default";
                    w.Line($"global::KernelGen.Runtime.WeightPacking.Pack({wSrc}, {bSrc}, {Int(n.Outputs)}, panel, _folded.Slice({DenseEmitter.PackedConst(n)}, {Long(NetworkLayout.PackedLength(n.Inputs, n.Outputs))}));");
                }
                w.Close();
            }
            w.Line("_foldedStale = false;");
            w.Close();
            w.Line();
        }

        if (trainPacked)
        {
            w.Line("/// <summary>Repacks W and b of every dense layer with a packed copy into the panels the training forward's outer-product kernels");
            w.Line("/// read (Predict's own copy where no batch norm folds in), at this instance's width; none at the scalar width. Runs before the first");
            w.Line("/// forward of 16+ rows after anything changed the parameters without packing them (the Parameters span handed out, a load, an");
            w.Line("/// update after a smaller batch or with a frozen layer while the copy was already stale).</summary>");
            w.Open("private void RepackTraining()");
            long repackFloats = plan.Nodes.Where(DenseEmitter.IsTrainingPacked).Sum(n => (long)n.Inputs * n.Outputs);
            w.Line($"// {Long(repackFloats)} weights: with threads, each packs a share of every layer's panels (a copy: the block is the same either way).");
            w.Line($"if (_pool is not null && {Long(repackFloats)}L >= ParallelParameters) _pool.Run(this, {Int(ParallelEmitter.RepackPhase(plan))});");
            w.Line("else RepackPart(0, 1);");
            w.Line("_packedStale = false;");
            w.Close();
            w.Line();
            w.Line("/// <summary>One share of the repack: part 0 also writes the padded biases.</summary>");
            w.Open("private void RepackPart(int part, int parts)");
            w.Line(DenseEmitter.PanelOfIsa(targets));
            w.Line("if (panel == 0) return;");
            foreach (Node n in plan.Nodes.Where(DenseEmitter.IsTrainingPacked))
            {
                string wSrc = $"_parameters.Slice({n.WConst}, {Int(n.Inputs * n.Outputs)})";
                string bSrc = DenseEmitter.BiasSource(n);
                string region = DenseEmitter.TrainingPackedRegion(n);
                w.Open();
                w.Line($"(int a, int b) = global::KernelGen.Runtime.WorkerPool.Range(({Int(n.Outputs)} + panel - 1) / panel, part, parts);");
                w.Line($"if (part == 0) global::KernelGen.Runtime.WeightPacking.PackBias({bSrc}, {Int(n.Outputs)}, {region});");
                w.Line($"if (a < b) global::KernelGen.Runtime.WeightPacking.PackPanels({wSrc}, {Int(n.Outputs)}, panel, {region}, a, b);");
                w.Close();
            }
            w.Line("global::System.GC.KeepAlive(this);");
            w.Close();
            w.Line();
        }

        string inferArgs = $"ref ws, ref p{stA}{foldA}";
        w.Line("/// <summary>Mean loss (and, for classifiers, correct arg-max predictions) over any number of rows, in inference mode (as Predict). Changes no parameter.</summary>");
        w.Open($"public global::KernelGen.Evaluation Evaluate({RoSpan}<float> inputs, {RoSpan}<{tType}> {tName})");
        w.Line("using var entered = _gate.Enter(nameof(Evaluate));");
        if (classifier)
        {
            w.Line("int rows = labels.Length;");
            w.Line($"{G}.NotEmpty(rows, nameof(labels));");
            w.Line($"{G}.Labels(labels, OutputSize, nameof(labels));");
        }
        else
        {
            w.Line($"int rows = {G}.Rows(targets.Length, OutputSize, nameof(targets), \"OutputSize\");");
            w.Line($"{G}.Finite(targets, nameof(targets));");
        }
        w.Line($"{G}.RowsLength(inputs.Length, rows, InputSize, nameof(inputs), \"InputSize\");");
        w.Line($"{G}.Finite(inputs, nameof(inputs));");
        if (folded) w.Line("if (_foldedStale) Fold();");
        w.Line("ref float x = ref global::System.Runtime.InteropServices.MemoryMarshal.GetReference(inputs);");
        w.Line("ref float p = ref _parameters.Ref;");
        w.Line("ref float ws = ref _workspace.Ref;");
        if (bn) w.Line("ref float st = ref _statistics.Ref;");
        if (folded) w.Line("ref float f = ref _folded.Ref;");
        w.Line("double sum = 0;");
        w.Line("int correct = 0;");
        w.Open("for (int start = 0; start < rows; start += BatchSize)");
        w.Line("int n = global::System.Math.Min(BatchSize, rows - start);");
        w.Line($"InferChunk(ref {U}.Add(ref x, start * InputSize), {inferArgs}, n);");
        w.Line(classifier
            ? "sum += LossSum(ref ws, labels.Slice(start, n), n, ref correct);"
            : "sum += LossSum(ref ws, targets.Slice(start * OutputSize, n * OutputSize), n, ref correct);");
        w.Close();
        w.Line("global::System.GC.KeepAlive(this);");
        w.Line(classifier
            ? "return new global::KernelGen.Evaluation(sum / rows, correct, rows);"
            : "return new global::KernelGen.Evaluation(sum / ((double)rows * OutputSize), 0, rows);");
        w.Close();
        w.Line();

        w.Line($"/// <summary>Inference-mode forward pass for any number of rows (inputs.Length / InputSize), {(classifier ? "writing softmax probabilities" : "writing the outputs")}, BatchSize rows at a time.{(plan.Nodes.Any(n => n.FoldedInto is not null) ? " Batch norm runs folded into the dense weights before it." : string.Empty)}{(dropout ? " Dropout is the identity." : string.Empty)}</summary>");
        w.Open($"public void Predict({RoSpan}<float> inputs, {Span} outputs)");
        w.Line("using var entered = _gate.Enter(nameof(Predict));");
        w.Line($"int rows = {G}.Rows(inputs.Length, InputSize, nameof(inputs), \"InputSize\");");
        w.Line($"{G}.RowsLength(outputs.Length, rows, OutputSize, nameof(outputs), \"OutputSize\");");
        w.Line($"{G}.Finite(inputs, nameof(inputs));");
        w.Line($"{G}.NoOverlap(inputs, outputs, nameof(inputs), nameof(outputs));");
        if (folded) w.Line("if (_foldedStale) Fold();");
        w.Line("ref float x = ref global::System.Runtime.InteropServices.MemoryMarshal.GetReference(inputs);");
        w.Line("ref float y = ref global::System.Runtime.InteropServices.MemoryMarshal.GetReference(outputs);");
        w.Line("ref float p = ref _parameters.Ref;");
        w.Line("ref float ws = ref _workspace.Ref;");
        if (bn) w.Line("ref float st = ref _statistics.Ref;");
        if (folded) w.Line("ref float f = ref _folded.Ref;");
        w.Open("for (int start = 0; start < rows; start += BatchSize)");
        w.Line("int n = global::System.Math.Min(BatchSize, rows - start);");
        w.Line($"InferChunk(ref {U}.Add(ref x, start * InputSize), {inferArgs}, n);");
        w.Line($"WriteOutputs(ref ws, ref {U}.Add(ref y, start * OutputSize), n);");
        w.Close();
        w.Line("global::System.GC.KeepAlive(this);");
        w.Close();
        w.Line();

        // ---- threaded inference
        long inferFlops = plan.Nodes.Sum(n => LayerEmitter.For(n).ForwardFlopsPerRow);
        int inferPhase = 2 * plan.Nodes.Count + 1;
        w.Line($"/// <summary>Inference on one chunk of at most BatchSize rows: split by rows over the threads when big enough ({Int((int)Math.Min(inferFlops, int.MaxValue))} FLOPs a row).</summary>");
        w.Open($"private void InferChunk(ref float x, ref float ws, ref float p{stP}{foldP}, int rows)");
        w.Open($"if (_pool is not null && {inferFlops}L * rows >= ParallelFlops)");
        w.Line("_partRows = rows;");
        w.Line($"_pool.RunPinned(this, global::System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpan(ref x, rows * InputSize), 2); // phase {Int(inferPhase)}, the chunk read in place");
        w.Close();
        w.Line($"else Infer(ref x, ref ws, ref p{stA}{foldA}, 0, rows);");
        w.Close();
        w.Line();
        w.Line("/// <summary>A thread's share of an inference chunk: rows [a, b) of the chunk RunPinned shares.</summary>");
        w.Open("private void InferPart(int part, int parts)");
        w.Line($"(int a, int b) = global::KernelGen.Runtime.WorkerPool.Rows(_partRows, part, parts);");
        w.Line("if (a >= b) return;");
        w.Line("ref float ws = ref _workspace.Ref;");
        w.Line("ref float p = ref _parameters.Ref;");
        if (bn) w.Line("ref float st = ref _statistics.Ref;");
        if (folded) w.Line("ref float f = ref _folded.Ref;");
        w.Line($"Infer(ref _pool!.Inputs, ref ws, ref p{stA}{foldA}, a, b - a);");
        w.Line("global::System.GC.KeepAlive(this);");
        w.Close();
        w.Line();

        // ---- dispatch
        EmitDispatch(w, "Forward", $"ref float x, ref float ws, ref float p{stP}{foldP}, int rows{modeP}{instanceP}", $"ref x, ref ws, ref p{stA}{foldA}, rows{modeA}{seedA}", targets);
        EmitDispatch(w, "Backward", $"ref float x, ref float ws, ref float p, ref float g, int rows{modeP}{instanceP}{lambdaP}", $"ref x, ref ws, ref p, ref g, rows{modeA}{seedA}{lambdaA}", targets);
        EmitDispatch(w, "Infer", $"ref float x, ref float ws, ref float p{stP}{foldP}, int r0, int rows", $"ref x, ref ws, ref p{stA}{foldA}, r0, rows", targets);

        EmitRunKernel(w, plan);
        EmitParallel(w, plan, targets, $"{RoSpan}<float> inputs, int rows{(bn ? ", bool train" : string.Empty)}{(dropout ? ", bool drop, long step" : string.Empty)}");

        // ---- disposal
        w.Line("/// <summary>Frees the native blocks. Afterwards every member but Dispose throws ObjectDisposedException.</summary>");
        w.Open("public void Dispose()");
        w.Line("if (!_gate.TryDispose()) return;");
        w.Line("_pool?.Dispose();");
        w.Line("_parameters.Dispose();");
        w.Line("_gradients.Dispose();");
        w.Line("_workspace.Dispose();");
        if (slots > 0) w.Line("_state.Dispose();");
        if (bn) w.Line("_statistics.Dispose();");
        if (folded) w.Line("_folded.Dispose();");
        w.Close();
    }

    internal static void EmitDispatch(CodeWriter w, string method, string parameters, string arguments, IReadOnlyList<VectorTarget> targets)
    {
        w.Open($"private void {method}({parameters})");
        EmitSwitch(w, method, arguments, targets);
        w.Close();
        w.Line();
    }
}
