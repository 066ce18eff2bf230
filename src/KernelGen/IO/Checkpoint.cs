using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;

namespace KernelGen.IO;

/// <summary>
/// Saves and restores a network through <see cref="INetwork"/> as a standard safetensors file (readable by
/// <c>safetensors.torch.load_file</c>). Per layer k of <see cref="NetworkInfo.Layers"/>, PyTorch-like names and
/// shapes in the canonical layout: dense <c>L{k}.weight</c> [out, in] and <c>L{k}.bias</c> [out]; batch norm
/// <c>L{k}.weight</c> (γ), <c>L{k}.bias</c> (β), <c>L{k}.running_mean</c>, <c>L{k}.running_var</c> [n]; PReLU
/// <c>L{k}.alpha</c> [n]. Optimizer state slot s: <c>optimizer.{s}.L{k}.weight</c> etc., shaped as the parameter.
/// The metadata holds the format version, network name, layer signature, step and optimizer.
/// </summary>
public static class Checkpoint
{
    /// <summary>The value of the <c>format</c> metadata entry.</summary>
    public const string Format = "kernelgen.checkpoint";
    /// <summary>The current <c>format_version</c>.</summary>
    public const int FormatVersion = 1;

    private static readonly string[] Reserved =
    {
        "format", "format_version", "network", "layers", "inputs", "outputs", "step", "optimizer", "optimizer_slots",
        "base_learning_rate", "weight_decay", "seed",
    };

    /// <summary>One tensor of the network: its name, shape, and where its values live.</summary>
    private readonly record struct Slice(string Name, int[] Shape, Source From, int Offset, int Length, int Layer);

    private enum Source { Parameters, Statistics }

    /// <summary>
    /// The layer signature stored as the <c>layers</c> metadata: per layer its kind, inputs and outputs
    /// (dense without bias and activation functions marked), joined by ';'.
    /// </summary>
    public static string Signature(NetworkInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var s = new StringBuilder();
        foreach (LayerInfo layer in info.Layers)
        {
            if (s.Length > 0) s.Append(';');
            s.Append(layer.Kind);
            if (layer.Kind == LayerKind.Dense && !layer.HasBias) s.Append("(nobias)");
            if (layer.Kind == LayerKind.Activation) s.Append('(').Append(layer.Activation).Append(')');
            s.Append(CultureInfo.InvariantCulture, $"/{layer.Inputs}/{layer.Outputs}");
        }
        return s.ToString();
    }

    /// <summary>
    /// Writes parameters, running statistics, optimizer state and step of <paramref name="net"/> to <paramref name="path"/>,
    /// atomically (a failure leaves an existing file untouched). <paramref name="metadata"/> is added (its keys must not
    /// be the reserved ones); <paramref name="extraTensors"/> (e.g. fitted preprocessing, names prefixed by the caller)
    /// are stored alongside and read back with <see cref="ReadExtra"/>.
    /// </summary>
    public static void Save(INetwork net, string path, IReadOnlyDictionary<string, string>? metadata = null,
        IEnumerable<(string Name, int[] Shape, float[] Data)>? extraTensors = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        ArgumentException.ThrowIfNullOrEmpty(path);
        NetworkInfo info = net.Info;
        var meta = new Dictionary<string, string>(StringComparer.Ordinal);
        if (metadata is not null)
        {
            foreach (KeyValuePair<string, string> kv in metadata)
            {
                if (Array.IndexOf(Reserved, kv.Key) >= 0)
                    throw new ArgumentException($"Metadata key '{kv.Key}' is reserved; the checkpoint writes it ({string.Join(", ", Reserved)}).", nameof(metadata));
                meta[kv.Key] = kv.Value ?? throw new ArgumentException($"Metadata '{kv.Key}' is null.", nameof(metadata));
            }
        }
        meta["format"] = Format;
        meta["format_version"] = FormatVersion.ToString(CultureInfo.InvariantCulture);
        meta["network"] = info.Name;
        meta["layers"] = Signature(info);
        meta["inputs"] = info.Inputs.ToString(CultureInfo.InvariantCulture);
        meta["outputs"] = info.Outputs.ToString(CultureInfo.InvariantCulture);
        meta["step"] = net.Step.ToString(CultureInfo.InvariantCulture);
        meta["optimizer"] = info.Optimizer;
        meta["optimizer_slots"] = SlotNames(net);
        meta["seed"] = net.Seed.ToString(CultureInfo.InvariantCulture);
        meta["base_learning_rate"] = net.BaseLearningRate.ToString("R", CultureInfo.InvariantCulture);
        meta["weight_decay"] = net.WeightDecay.ToString("R", CultureInfo.InvariantCulture);

        // Whatever Save writes, Load reads: a non-finite value (a diverged network) is refused here, not in the file.
        NotFinite(net.Parameters, "Parameters");
        NotFinite(net.RunningStatistics, "RunningStatistics");
        for (int slot = 0; slot < info.OptimizerSlots.Count; slot++) NotFinite(net.OptimizerState(slot), $"OptimizerState({slot}) ({info.OptimizerSlots[slot]})");

        var tensors = new List<SafeTensor>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        ReadOnlySpan<float> parameters = net.Parameters, statistics = net.RunningStatistics;
        foreach (Slice s in Slices(info))
        {
            ReadOnlySpan<float> from = s.From == Source.Parameters ? parameters : statistics;
            tensors.Add(SafeTensor.FromFloats(s.Name, s.Shape, from.Slice(s.Offset, s.Length)));
            names.Add(s.Name);
        }
        for (int slot = 0, slots = net.Info.OptimizerSlots.Count; slot < slots; slot++)
        {
            ReadOnlySpan<float> state = net.OptimizerState(slot);
            foreach (Slice s in Slices(info))
            {
                if (s.From != Source.Parameters) continue;
                string name = StateName(info, slot, s.Name);
                tensors.Add(SafeTensor.FromFloats(name, s.Shape, state.Slice(s.Offset, s.Length)));
                names.Add(name);
            }
        }
        if (extraTensors is not null)
        {
            foreach ((string name, int[] shape, float[] data) in extraTensors)
            {
                ArgumentException.ThrowIfNullOrEmpty(name, nameof(extraTensors));
                if (names.Contains(name) || name.StartsWith("optimizer.", StringComparison.Ordinal) || IsLayerName(name))
                    throw new ArgumentException($"Extra tensor '{name}' would collide with the network's tensors (L{{k}}.*, optimizer.*); prefix it, e.g. 'preprocess.{name}'.", nameof(extraTensors));
                if (!names.Add(name)) throw new ArgumentException($"Two extra tensors are called '{name}'.", nameof(extraTensors));
                tensors.Add(SafeTensor.FromFloats(name, shape, data));
            }
        }
        SafeTensors.Save(path, tensors, meta);
    }

    /// <summary>
    /// Restores <paramref name="net"/> from <paramref name="path"/>: parameters, running statistics, optimizer state,
    /// step, base learning rate and weight decay. Everything is read and checked first (well-formed file, same network
    /// name and layer signature, every tensor present with its shape, all values finite); on any problem an
    /// <see cref="InvalidDataException"/> naming the file and what was expected and found is thrown and
    /// <paramref name="net"/> is unchanged.
    /// </summary>
    public static void Load(INetwork net, string path)
    {
        ArgumentNullException.ThrowIfNull(net);
        ArgumentException.ThrowIfNullOrEmpty(path);
        NetworkInfo info = net.Info;
        SafeTensorFile file = SafeTensors.Load(path);
        IReadOnlyDictionary<string, string> meta = file.Metadata;

        string format = Meta(file, "format");
        if (format != Format) throw Invalid(path, $"format is '{format}'; expected '{Format}'.");
        string version = Meta(file, "format_version");
        if (version != FormatVersion.ToString(CultureInfo.InvariantCulture))
            throw Invalid(path, $"format_version is '{version}'; this library reads version {FormatVersion}.");
        string network = Meta(file, "network"), layers = Meta(file, "layers"), signature = Signature(info);
        if (network != info.Name || layers != signature)
            throw Invalid(path, $"a checkpoint of network '{network}' (layers {layers}); expected '{info.Name}' (layers {signature}). Use LoadLayers to copy single layers between networks.");
        string slots = Meta(file, "optimizer_slots"), expectedSlots = SlotNames(net);
        if (slots != expectedSlots)
            throw Invalid(path, $"optimizer state slots are '{slots}' (optimizer {meta.GetValueOrDefault("optimizer")}); expected '{expectedSlots}' ({info.Optimizer}).");
        if (!long.TryParse(Meta(file, "step"), NumberStyles.None, CultureInfo.InvariantCulture, out long step))
            throw Invalid(path, $"step is '{meta["step"]}'; expected an integer ≥ 0.");
        float baseLearningRate = FloatMeta(file, "base_learning_rate");
        float weightDecay = FloatMeta(file, "weight_decay");

        // Read everything into staging arrays; the network is not touched until all of it has passed.
        float[] parameters = new float[info.ParameterCount];
        float[] statistics = new float[info.StatisticsCount];
        float[][] state = new float[net.Info.OptimizerSlots.Count][];
        foreach (Slice s in Slices(info))
            Read(file, s.Name, s.Shape, (s.From == Source.Parameters ? parameters : statistics).AsSpan(s.Offset, s.Length));
        for (int slot = 0; slot < state.Length; slot++)
        {
            state[slot] = new float[info.ParameterCount];
            foreach (Slice s in Slices(info))
            {
                if (s.From == Source.Parameters) Read(file, StateName(info, slot, s.Name), s.Shape, state[slot].AsSpan(s.Offset, s.Length));
            }
        }

        // Optimizer state in its domain: a second moment or squared-gradient cache below zero poisons the next step.
        for (int slot = 0; slot < state.Length; slot++)
        {
            if (!NonNegativeSlot(info, slot)) continue;
            int bad = Array.FindIndex(state[slot], v => v < 0);
            if (bad >= 0)
                throw Invalid(path, $"optimizer.{info.OptimizerSlots[slot]} holds {state[slot][bad]} at parameter {bad}; that state is a running mean of squares and must be ≥ 0.");
        }
        foreach (Slice s in Slices(info))
        {
            if (!s.Name.EndsWith(".running_var", StringComparison.Ordinal)) continue;
            int bad = Array.FindIndex(statistics, s.Offset, s.Length, v => v < 0);
            if (bad >= 0) throw Invalid(path, $"tensor '{s.Name}' holds {statistics[bad]} at index {bad - s.Offset}; a variance must be ≥ 0.");
        }

        // Every check first, then every write: the hyper-parameters are tried on the network and both put back if it
        // refuses either (a network declared without weight decay accepts only 0).
        float oldBase = net.BaseLearningRate, oldDecay = net.WeightDecay;
        try
        {
            net.BaseLearningRate = baseLearningRate;
            net.WeightDecay = weightDecay;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            net.BaseLearningRate = oldBase;
            net.WeightDecay = oldDecay;
            throw Invalid(path, $"base_learning_rate {baseLearningRate} / weight_decay {weightDecay} are not accepted by {info.Name} ({e.Message}).");
        }
        parameters.CopyTo(net.Parameters);
        statistics.CopyTo(net.RunningStatistics);
        for (int slot = 0; slot < state.Length; slot++) state[slot].CopyTo(net.OptimizerState(slot));
        net.Step = step;
    }

    /// <summary>
    /// Transfer learning: copies the parameters (and batch-norm running statistics) of the listed layers from
    /// <paramref name="path"/>, a checkpoint of possibly another network, into the same layers of <paramref name="net"/>.
    /// Each listed layer's tensors must exist there with the same shapes; otherwise nothing is changed and an
    /// <see cref="InvalidDataException"/> says which tensor was expected. Optimizer state and step are not touched.
    /// </summary>
    public static void LoadLayers(INetwork net, string path, params int[] layers)
    {
        ArgumentNullException.ThrowIfNull(net);
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(layers);
        NetworkInfo info = net.Info;
        if (layers.Length == 0) throw new ArgumentException("List at least one layer.", nameof(layers));
        var chosen = new HashSet<int>();
        foreach (int k in layers)
        {
            if ((uint)k >= (uint)info.Layers.Count)
                throw new ArgumentOutOfRangeException(nameof(layers), k, $"{info.Name} has layers 0 to {info.Layers.Count - 1}.");
            LayerInfo layer = info.Layers[k];
            if (layer.ParameterCount == 0 && layer.StatisticsCount == 0)
                throw new ArgumentException($"Layer {k} of {info.Name} ({layer.Kind}) has no parameters to load.", nameof(layers));
            chosen.Add(k);
        }
        SafeTensorFile file = SafeTensors.Load(path);
        var staged = new List<(Slice Slice, float[] Values)>();
        foreach (Slice s in Slices(info))
        {
            if (!chosen.Contains(s.Layer)) continue;
            var values = new float[s.Length];
            Read(file, s.Name, s.Shape, values);
            staged.Add((s, values));
        }
        Span<float> parameters = net.Parameters, statistics = net.RunningStatistics;
        foreach ((Slice s, float[] values) in staged)
            values.CopyTo((s.From == Source.Parameters ? parameters : statistics).Slice(s.Offset, s.Length));
    }

    /// <summary>
    /// Weights only: the parameters and batch-norm running statistics of every layer that has any, from a file that holds
    /// at least the tensors <see cref="Tensors"/> names (a full checkpoint, or the weights <c>kernelgen import</c> writes).
    /// All checks first (each tensor present, its shape, finite values); on a problem nothing changes. Optimizer state and
    /// step are not touched.
    /// </summary>
    public static void LoadWeights(INetwork net, string path)
    {
        ArgumentNullException.ThrowIfNull(net);
        var layers = new List<int>();
        for (int k = 0; k < net.Info.Layers.Count; k++)
            if (net.Info.Layers[k].ParameterCount > 0 || net.Info.Layers[k].StatisticsCount > 0) layers.Add(k);
        if (layers.Count == 0) throw new ArgumentException($"{net.Info.Name} has no parameters to load.", nameof(net));
        LoadLayers(net, path, layers.ToArray());
    }

    /// <summary>
    /// The network's tensors as checkpoints name them (the one naming function: <see cref="Save"/>, <see cref="Load"/>,
    /// ONNX import and export use it): name, shape, layer index, whether it lives in <c>RunningStatistics</c> (else in
    /// <c>Parameters</c>), offset and length there.
    /// </summary>
    public static IReadOnlyList<CheckpointTensor> Tensors(NetworkInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var list = new List<CheckpointTensor>();
        foreach (Slice s in Slices(info))
            list.Add(new CheckpointTensor(s.Name, s.Shape, s.Layer, s.From == Source.Statistics, s.Offset, s.Length));
        return list;
    }

    /// <summary>The extra tensors of <see cref="Save"/> whose names start with <paramref name="prefix"/>, sorted by name.</summary>
    public static IReadOnlyList<(string Name, int[] Shape, float[] Data)> ReadExtra(string path, string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(prefix);
        SafeTensorFile file = SafeTensors.Load(path);
        var extra = new List<(string, int[], float[])>();
        foreach (SafeTensor t in file.Tensors)
        {
            if (!t.Name.StartsWith(prefix, StringComparison.Ordinal)) continue;
            if (t.DType != TensorDType.F32) throw Invalid(path, $"tensor '{t.Name}' is {t.DType}; expected F32.");
            extra.Add((t.Name, t.ShapeArray(), t.ToFloats()));
        }
        return extra;
    }

    /// <summary>The metadata of the checkpoint at <paramref name="path"/> (after checking the file is well-formed).</summary>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path) => SafeTensors.Load(path).Metadata;

    /// <summary>Every tensor of the network in canonical order, with its shape and location.</summary>
    private static IEnumerable<Slice> Slices(NetworkInfo info)
    {
        // The file keeps its layer-position names (L{k}.weight, L{k}.alpha, ...), so files written before the tensor list load unchanged.
        foreach (TensorInfo t in info.Tensors)
        {
            string suffix = t.Role == TensorRole.Alpha ? "alpha" : t.Suffix;
            yield return new($"L{t.Layer}.{suffix}", [.. t.Shape], t.Block == TensorBlock.Parameters ? Source.Parameters : Source.Statistics, t.Offset, t.Length, t.Layer);
        }
    }

    private static string SlotNames(INetwork net) => string.Join(",", net.Info.OptimizerSlots);

    /// <summary>Whether optimizer state slot <paramref name="slot"/> is a running mean of squares (≥ 0): Adam's v (the
    /// slot after m), AdaGrad's and RMSProp's h, Adadelta's square_avg and acc_delta. A lone v (momentum's velocity) may be
    /// negative. By slot name: a new optimizer whose slot must be ≥ 0 adds its name here.</summary>
    private static bool NonNegativeSlot(NetworkInfo info, int slot)
    {
        IReadOnlyList<string> slots = info.OptimizerSlots;
        return slots[slot] is "h" or "square_avg" or "acc_delta" || (slots[slot] == "v" && slot > 0 && slots[slot - 1] == "m");
    }

    private static void NotFinite(ReadOnlySpan<float> values, string what)
    {
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i]))
                throw new InvalidOperationException($"{what}[{i}] is {values[i]}: a checkpoint holds finite values only (the network has diverged); nothing was written.");
    }

    private static string StateName(NetworkInfo info, int slot, string tensor) => $"optimizer.{info.OptimizerSlots[slot]}.{tensor}";

    private static bool IsLayerName(string name)
    {
        if (name.Length < 2 || name[0] != 'L' || !char.IsAsciiDigit(name[1])) return false;
        int i = 1;
        while (i < name.Length && char.IsAsciiDigit(name[i])) i++;
        return i == name.Length || name[i] == '.';
    }

    /// <summary>Checks tensor <paramref name="name"/> exists, is F32 of <paramref name="shape"/> and finite, and copies it into <paramref name="destination"/>.</summary>
    private static void Read(SafeTensorFile file, string name, int[] shape, Span<float> destination)
    {
        SafeTensor t = file.Find(name)
            ?? throw Invalid(file.Source, $"tensor '{name}' [{string.Join(", ", shape)}] is missing.");
        if (t.DType != TensorDType.F32)
            throw Invalid(file.Source, $"tensor '{name}' is {t.DType}; expected F32.");
        if (!t.HasShape(shape))
            throw Invalid(file.Source, $"tensor '{name}' has shape [{string.Join(", ", t.ShapeArray())}]; expected [{string.Join(", ", shape)}].");
        t.CopyTo(destination);
        for (int i = 0; i < destination.Length; i++)
        {
            if (!float.IsFinite(destination[i]))
                throw Invalid(file.Source, $"tensor '{name}' holds {destination[i]} at index {i}; every value must be finite.");
        }
    }

    private static string Meta(SafeTensorFile file, string key)
        => file.Metadata.TryGetValue(key, out string? value) ? value
            : throw Invalid(file.Source, $"metadata '{key}' is missing; is this a KernelGen checkpoint?");

    private static float FloatMeta(SafeTensorFile file, string key)
    {
        string text = Meta(file, key);
        if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) || !float.IsFinite(v))
            throw Invalid(file.Source, $"metadata '{key}' is '{text}'; expected a finite number.");
        return v;
    }

    private static InvalidDataException Invalid(string path, string problem) => new($"{path}: {problem}");
}

/// <summary>One tensor of a network in checkpoint naming (<see cref="Checkpoint.Tensors"/>).</summary>
/// <param name="Name">E.g. <c>L0.weight</c>.</param>
/// <param name="Shape">Dense weights <c>[outputs, inputs]</c>; everything else <c>[n]</c>.</param>
/// <param name="Layer">Index into <see cref="NetworkInfo.Layers"/>.</param>
/// <param name="Statistics">Whether it lives in <c>RunningStatistics</c> (running mean or variance) rather than <c>Parameters</c>.</param>
/// <param name="Offset">Offset in that block.</param>
/// <param name="Length">Number of values.</param>
public sealed record CheckpointTensor(string Name, int[] Shape, int Layer, bool Statistics, int Offset, int Length);
