using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using KernelGen.IO;
using Xunit;

namespace KernelGen.Tests;

/// <summary>Checkpoints: bit-exact round trips, another network or a damaged file rejected with the network unchanged,
/// atomic saves, transfer of single layers, and the safetensors layer underneath.</summary>
public partial class CheckpointTests
{
    private static INetwork Create(string name, int seed) => name switch
    {
        "FashionMlp" => new FashionMlp(seed: seed),
        "BatchNormNet" => new BatchNormNet(seed: seed),
        "MaxoutNet" => new MaxoutNet(seed: seed),
        "ActivationNet" => new ActivationNet(seed: seed),
        "OptAdadelta" => new OptAdadelta(seed: seed),
        "LayerNormNet" => new LayerNormNet(seed: seed),
        "LayerNormOddNet" => new LayerNormOddNet(seed: seed),
        _ => throw new ArgumentException(name),
    };

    /// <summary>A network after a few training steps: parameters, statistics, optimizer state and step all non-trivial.</summary>
    private static INetwork Trained(string name, int seed = 11, int steps = 3)
    {
        INetwork net = Create(name, seed);
        var r = new Random(seed);
        int rows = Math.Min(net.Info.BatchSize, 8);
        for (int s = 0; s < steps; s++)
        {
            float[] x = Enumerable.Range(0, rows * net.Info.Inputs).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
            if (net is IClassifier c) c.TrainStep(x, Enumerable.Range(0, rows).Select(_ => r.Next(net.Info.Outputs)).ToArray());
            else ((IRegressor)net).TrainStep(x, Enumerable.Range(0, rows * net.Info.Outputs).Select(_ => (float)r.NextDouble()).ToArray());
        }
        return net;
    }

    /// <summary>Every byte of the state a checkpoint covers.</summary>
    private static byte[] State(INetwork net)
    {
        var bytes = new List<byte>();
        bytes.AddRange(MemoryMarshal.AsBytes(net.Parameters).ToArray());
        bytes.AddRange(MemoryMarshal.AsBytes(net.RunningStatistics).ToArray());
        for (int slot = 0; slot < net.Info.OptimizerSlots.Count; slot++) bytes.AddRange(MemoryMarshal.AsBytes(net.OptimizerState(slot)).ToArray());
        bytes.AddRange(BitConverter.GetBytes(net.Step));
        bytes.AddRange(BitConverter.GetBytes(net.BaseLearningRate));
        bytes.AddRange(BitConverter.GetBytes(net.WeightDecay));
        return bytes.ToArray();
    }

    public static TheoryData<string> Names() => new("FashionMlp", "BatchNormNet", "MaxoutNet", "ActivationNet", "OptAdadelta", "LayerNormNet", "LayerNormOddNet");

    [Theory]
    [MemberData(nameof(Names))]
    public void Round_trip_is_bit_exact_and_training_continues_identically(string name)
    {
        using var dir = new TempDirectory();
        string path = dir.File("net.safetensors");
        using INetwork a = Trained(name);
        Assert.True(a.Step > 0);
        if (a.Info.OptimizerSlots.Count > 0) Assert.Contains(a.OptimizerState(0).ToArray(), v => v != 0);
        if (a.Info.StatisticsCount > 0) Assert.Contains(a.RunningStatistics.ToArray(), v => v != 0 && v != 1);
        Checkpoint.Save(a, path);
        Assert.Equal(new[] { "net.safetensors" }, Directory.GetFiles(dir.Path).Select(Path.GetFileName)); // no temp file left

        using INetwork b = Create(name, seed: 99);
        Assert.NotEqual(State(a), State(b));
        Checkpoint.Load(b, path);
        Assert.Equal(State(a), State(b));

        // The same next step from both: the optimizer state really was restored.
        // Same seed: dropout masks follow the seed, which is the constructor's and not part of the checkpoint.
        using INetwork a2 = Trained(name, steps: 4), b2 = Create(name, seed: 11);
        b2.Step = 0;
        Checkpoint.Load(b2, path);
        TrainOneMore(b2, name);
        Assert.Equal(State(a2), State(b2));
    }

    private static void TrainOneMore(INetwork net, string name)
    {
        // Replays the 4th step of Trained(name, 11, 4) on a network restored after step 3.
        var r = new Random(11);
        int rows = Math.Min(net.Info.BatchSize, 8);
        for (int s = 0; s < 4; s++)
        {
            float[] x = Enumerable.Range(0, rows * net.Info.Inputs).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
            int[] labels = net is IClassifier ? Enumerable.Range(0, rows).Select(_ => r.Next(net.Info.Outputs)).ToArray() : Array.Empty<int>();
            float[] targets = net is IRegressor ? Enumerable.Range(0, rows * net.Info.Outputs).Select(_ => (float)r.NextDouble()).ToArray() : Array.Empty<float>();
            if (s < 3) continue;
            if (net is IClassifier c) c.TrainStep(x, labels);
            else ((IRegressor)net).TrainStep(x, targets);
        }
    }

    [Fact]
    public void Tensor_names_shapes_and_metadata_are_the_documented_ones()
    {
        using var dir = new TempDirectory();
        string path = dir.File("bn.safetensors");
        using INetwork net = Trained("BatchNormNet");
        Checkpoint.Save(net, path, new Dictionary<string, string> { ["run"] = "42" }, new[] { ("preprocess.mean", new[] { 13 }, new float[13]) });
        SafeTensorFile file = SafeTensors.Load(path);
        var shapes = file.Tensors.ToDictionary(t => t.Name, t => string.Join("x", t.ShapeArray()));
        Assert.Equal("37x13", shapes["L0.weight"]);
        Assert.False(shapes.ContainsKey("L0.bias")); // Dense(37, Bias = false)
        Assert.Equal("37", shapes["L1.weight"]);
        Assert.Equal("37", shapes["L1.running_var"]);
        Assert.Equal("19x37", shapes["L3.weight"]);
        Assert.Equal("19x37", shapes["optimizer.v.L3.weight"]);
        Assert.Equal("13", shapes["preprocess.mean"]);
        Assert.Equal(file.Tensors.Select(t => t.Name).OrderBy(n => n, StringComparer.Ordinal), file.Tensors.Select(t => t.Name));
        Assert.Equal("BatchNormNet", file.Metadata["network"]);
        Assert.Equal("3", file.Metadata["step"]);
        Assert.Equal("42", file.Metadata["run"]);
        Assert.Equal(Checkpoint.Signature(net.Info), file.Metadata["layers"]);
        Assert.StartsWith("Dense(nobias)/13/37;BatchNorm/37/37;Activation(ReLU)/37/37", file.Metadata["layers"]);

        var extra = Checkpoint.ReadExtra(path, "preprocess.");
        Assert.Equal("preprocess.mean", Assert.Single(extra).Name);
        Assert.Throws<ArgumentException>(() => Checkpoint.Save(net, path, new Dictionary<string, string> { ["step"] = "1" }));
        Assert.Throws<ArgumentException>(() => Checkpoint.Save(net, path, extraTensors: new[] { ("L0.weight", new[] { 1 }, new float[1]) }));

        // Deterministic: the same state gives the same bytes.
        Checkpoint.Save(net, dir.File("again.safetensors"), new Dictionary<string, string> { ["run"] = "42" }, new[] { ("preprocess.mean", new[] { 13 }, new float[13]) });
        Assert.Equal(File.ReadAllBytes(path), File.ReadAllBytes(dir.File("again.safetensors")));
    }

    [Fact]
    public void The_file_is_standard_safetensors()
    {
        using var dir = new TempDirectory();
        string path = dir.File("m.safetensors");
        using INetwork net = Trained("MaxoutNet");
        Checkpoint.Save(net, path);
        byte[] bytes = File.ReadAllBytes(path);
        long n = BitConverter.ToInt64(bytes, 0);
        Assert.Equal(0, n % 8);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.StartsWith("{\"__metadata__\":{", header);
        Assert.Contains("\"L1.weight\":{\"dtype\":\"F32\",\"shape\":[36,30],\"data_offsets\":[", header);
        Assert.True(header[header.TrimEnd().Length..].All(c => c == ' '));
        // The data section is the parameters in name order, little-endian F32: L1.weight's bytes are the canonical weights.
        LayerInfo l1 = net.Info.Layers[1];
        float[] expected = net.Parameters.Slice(l1.WeightOffset, 36 * 30).ToArray();
        Assert.Equal(expected, SafeTensors.Load(path).Find("L1.weight")!.ToFloats());
    }

    private static void AssertRejected(INetwork target, string path, params string[] fragments)
    {
        byte[] before = State(target);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(target, path));
        Assert.Contains(path, e.Message);
        foreach (string f in fragments) Assert.Contains(f, e.Message);
        Assert.Equal(before, State(target));
    }

    [Fact]
    public void A_checkpoint_of_another_network_is_rejected_and_the_target_unchanged()
    {
        using var dir = new TempDirectory();
        string path = dir.File("bn.safetensors");
        using INetwork source = Trained("BatchNormNet");
        Checkpoint.Save(source, path);
        using INetwork target = Trained("MaxoutNet");
        AssertRejected(target, path, "'BatchNormNet'", "expected 'MaxoutNet'", "Dense(nobias)/13/37");
        // Same name, different layers (a hand-edited signature): also rejected.
        SafeTensorFile file = SafeTensors.Load(path);
        var meta = file.Metadata.ToDictionary(kv => kv.Key, kv => kv.Value);
        meta["layers"] = "Dense/13/37";
        SafeTensors.Save(path, file.Tensors, meta);
        using INetwork same = Trained("BatchNormNet", seed: 5);
        AssertRejected(same, path, "layers Dense/13/37");
    }

    [Theory]
    [InlineData("v", -1f, "optimizer.v")]
    [InlineData("m", float.PositiveInfinity, "every value must be finite")]
    public void Optimizer_state_outside_its_domain_is_rejected_and_the_target_unchanged(string slot, float value, string fragment)
    {
        // Issue 18, case 6: an Adam second moment of −1 was accepted and the next step made every parameter NaN.
        using var dir = new TempDirectory();
        string path = dir.File("state.safetensors");
        using INetwork source = Trained("FashionMlp"); // Adam: m, v
        Assert.Equal(new[] { "m", "v" }, source.Info.OptimizerSlots);
        source.OptimizerState(source.Info.OptimizerSlots.ToList().IndexOf(slot))[5] = value;
        if (float.IsFinite(value)) Checkpoint.Save(source, path);
        else Assert.Throws<InvalidOperationException>(() => Checkpoint.Save(source, path)); // Save writes only what Load reads
        if (!File.Exists(path)) return;
        using INetwork target = Trained("FashionMlp", seed: 4);
        AssertRejected(target, path, fragment);
    }

    [Theory]
    [InlineData("square_avg")]
    [InlineData("acc_delta")]
    public void Adadelta_slots_are_saved_by_name_and_a_negative_mean_of_squares_is_rejected(string slot)
    {
        using var dir = new TempDirectory();
        string path = dir.File("adadelta.safetensors");
        using INetwork source = Trained("OptAdadelta");
        Assert.Equal(new[] { "square_avg", "acc_delta" }, source.Info.OptimizerSlots);
        int index = source.Info.OptimizerSlots.ToList().IndexOf(slot);
        Assert.All(source.OptimizerState(index).ToArray(), v => Assert.True(v > 0));
        Checkpoint.Save(source, path);
        SafeTensorFile file = SafeTensors.Load(path);
        Assert.Equal("square_avg,acc_delta", file.Metadata["optimizer_slots"]);
        Assert.Equal(source.OptimizerState(index).Slice(0, 15).ToArray(), file.Find($"optimizer.{slot}.L0.weight")!.ToFloats());
        source.OptimizerState(index)[3] = -1f;
        Checkpoint.Save(source, path);
        using INetwork target = Trained("OptAdadelta", seed: 4);
        AssertRejected(target, path, $"optimizer.{slot}");
    }

    [Fact]
    public void Hyper_parameters_the_network_refuses_leave_it_unchanged()
    {
        // Issue 18, case 5: an SGD network declared without weight decay, a checkpoint saying weight_decay 0.5: the load
        // failed after BaseLearningRate was already overwritten. Every check first, then every write.
        using var dir = new TempDirectory();
        string path = dir.File("sgd.safetensors");
        using var source = new OptSgd(seed: 1);
        source.BaseLearningRate = 0.125f;
        Checkpoint.Save(source, path);
        EditHeader(path, h => h.Replace("\"weight_decay\":\"0\"", "\"weight_decay\":\"0.5\""));
        using var target = new OptSgd(seed: 2);
        AssertRejected(target, path, "weight_decay"); // State covers BaseLearningRate and WeightDecay too
    }

    [Fact]
    public void The_largest_step_saves_and_loads()
    {
        // Issue 18, case 6: Step = long.MaxValue wrapped negative and Load refused the file Save wrote.
        using var dir = new TempDirectory();
        string path = dir.File("step.safetensors");
        using INetwork source = Trained("BatchNormNet");
        source.Step = long.MaxValue;
        Assert.Throws<InvalidOperationException>(() => source.ApplyUpdate()); // the step counter cannot advance: nothing changes
        Assert.Equal(long.MaxValue, source.Step);
        Checkpoint.Save(source, path);
        using INetwork target = Trained("BatchNormNet", seed: 4);
        Checkpoint.Load(target, path);
        Assert.Equal(long.MaxValue, target.Step);
    }

    [Fact]
    public void A_save_removes_the_temporary_files_killed_saves_left()
    {
        // Issue 18, case 15: 40 killed saves left 17 temporary files (184 MB). A stale one goes at the next save; a
        // fresh one (another process saving the same file right now) and other files stay.
        using var dir = new TempDirectory();
        string path = dir.File("m.safetensors");
        string stale = path + ".tmp-0a1b2c3d", fresh = path + ".tmp-99aa00ff", other = dir.File("n.safetensors.tmp-0a1b2c3d");
        foreach (string f in new[] { stale, fresh, other }) File.WriteAllBytes(f, new byte[16]);
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow - AtomicFile.StaleAfter - TimeSpan.FromMinutes(1));
        File.SetLastWriteTimeUtc(other, DateTime.UtcNow - AtomicFile.StaleAfter - TimeSpan.FromMinutes(1));
        using INetwork source = Trained("BatchNormNet");
        Checkpoint.Save(source, path);
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(fresh));
        Assert.True(File.Exists(other));
    }

    [Fact]
    public void A_failed_save_leaves_the_old_file_intact_and_no_temp_file()
    {
        using var dir = new TempDirectory();
        string path = dir.File("net.safetensors");
        using INetwork net = Trained("MaxoutNet");
        Checkpoint.Save(net, path);
        byte[] old = File.ReadAllBytes(path);

        // The writer fails half-way through the data.
        var e = Assert.Throws<IOException>(() => AtomicFile.Write(path, s =>
        {
            s.Write(new byte[old.Length / 2]);
            throw new IOException("disk full (simulated)");
        }));
        Assert.Contains("simulated", e.Message);
        Assert.Equal(old, File.ReadAllBytes(path));
        Assert.Equal(new[] { "net.safetensors" }, Directory.GetFiles(dir.Path).Select(Path.GetFileName));

        // The caller's data source throws while the checkpoint is assembled.
        IEnumerable<(string, int[], float[])> Failing()
        {
            yield return ("preprocess.mean", new[] { 30 }, new float[30]);
            throw new InvalidOperationException("source failed");
        }
        TrainAgain(net);
        Assert.Throws<InvalidOperationException>(() => Checkpoint.Save(net, path, extraTensors: Failing()));
        Assert.Equal(old, File.ReadAllBytes(path));
        Assert.Equal(new[] { "net.safetensors" }, Directory.GetFiles(dir.Path).Select(Path.GetFileName));

        // A directory that does not exist: nothing written anywhere.
        Assert.ThrowsAny<IOException>(() => Checkpoint.Save(net, dir.File("missing/net.safetensors")));

        // Success replaces the file and leaves nothing else.
        Checkpoint.Save(net, path);
        Assert.NotEqual(old, File.ReadAllBytes(path));
        Assert.Equal(new[] { "net.safetensors" }, Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }

    private static void TrainAgain(INetwork net)
    {
        var x = Enumerable.Range(0, 4 * net.Info.Inputs).Select(i => (float)Math.Sin(i)).ToArray();
        ((IClassifier)net).TrainStep(x, new[] { 0, 1, 2, 3 });
    }

    [Fact]
    public void LoadLayers_copies_only_the_chosen_layers()
    {
        using var dir = new TempDirectory();
        string path = dir.File("bn.safetensors");
        using INetwork source = Trained("BatchNormNet");
        Checkpoint.Save(source, path);
        using INetwork target = Trained("BatchNormNet", seed: 4, steps: 2);
        float[] parametersBefore = target.Parameters.ToArray(), statisticsBefore = target.RunningStatistics.ToArray();
        float[] stateBefore = target.OptimizerState(0).ToArray();
        long stepBefore = target.Step;

        Checkpoint.LoadLayers(target, path, 0, 1);

        LayerInfo dense = target.Info.Layers[0], bn = target.Info.Layers[1];
        int copiedEnd = bn.BiasOffset + bn.Outputs; // layers 0 and 1 are the start of the parameter block
        Assert.Equal(0, dense.WeightOffset);
        Assert.Equal(source.Parameters[..copiedEnd].ToArray(), target.Parameters[..copiedEnd].ToArray());
        Assert.Equal(parametersBefore[copiedEnd..], target.Parameters[copiedEnd..].ToArray());
        int s = bn.StatisticsOffset, n = bn.Outputs;
        Assert.Equal(source.RunningStatistics.Slice(s, 2 * n).ToArray(), target.RunningStatistics.Slice(s, 2 * n).ToArray());
        Assert.Equal(statisticsBefore[(s + 2 * n)..], target.RunningStatistics[(s + 2 * n)..].ToArray());
        Assert.Equal(stateBefore, target.OptimizerState(0).ToArray());
        Assert.Equal(stepBefore, target.Step);
    }

    [Fact]
    public void LoadLayers_from_another_network_checks_shapes_and_changes_nothing_on_failure()
    {
        using var dir = new TempDirectory();
        string path = dir.File("maxout.safetensors");
        using INetwork source = Trained("MaxoutNet"); // L1 Dense 30 → 36, L3 Dense 12 → 40, L5 BatchNorm 20
        Checkpoint.Save(source, path);
        using INetwork target = Trained("BatchNormNet", seed: 4); // L0 Dense 13 → 37, L1 BatchNorm 37
        byte[] before = State(target);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.LoadLayers(target, path, 1));
        Assert.Contains(path, e.Message);
        Assert.Contains("'L1.weight' has shape [36, 30]; expected [37]", e.Message);
        e = Assert.Throws<InvalidDataException>(() => Checkpoint.LoadLayers(target, path, 4, 0));
        Assert.Contains("'L0.weight' [37, 13] is missing", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Checkpoint.LoadLayers(target, path, 9));
        Assert.Throws<ArgumentException>(() => Checkpoint.LoadLayers(target, path, 2)); // ReLU: nothing to load
        Assert.Equal(before, State(target));
    }

    [Fact]
    public void SafeTensors_round_trips_int_tensors_and_rejects_duplicates()
    {
        using var dir = new TempDirectory();
        string path = dir.File("t.safetensors");
        SafeTensors.Save(path, new[]
        {
            SafeTensor.FromInt64s("b.count", new[] { 2 }, new long[] { long.MinValue, 7 }),
            SafeTensor.FromInt32s("a.ids", new[] { 3, 1 }, new[] { 1, -2, 3 }),
            SafeTensor.FromFloats("c.empty", new[] { 0, 4 }, ReadOnlySpan<float>.Empty),
            SafeTensor.FromFloats("d.scalar", Array.Empty<int>(), new[] { -0f }),
        }, new Dictionary<string, string> { ["é"] = "ü\"\n" });
        SafeTensorFile f = SafeTensors.Load(path);
        Assert.Equal(new[] { "a.ids", "b.count", "c.empty", "d.scalar" }, f.Tensors.Select(t => t.Name));
        Assert.Equal(new long[] { long.MinValue, 7 }, f.Find("b.count")!.ToInt64s());
        Assert.Equal(new[] { 1, -2, 3 }, f.Find("a.ids")!.ToInt32s());
        Assert.Equal(BitConverter.SingleToInt32Bits(-0f), BitConverter.SingleToInt32Bits(f.Find("d.scalar")!.ToFloats()[0]));
        Assert.Equal("ü\"\n", f.Metadata["é"]);
        Assert.Throws<ArgumentException>(() => SafeTensors.Save(path, new[] { SafeTensor.FromFloats("x", new[] { 1 }, new[] { 1f }), SafeTensor.FromFloats("x", new[] { 1 }, new[] { 2f }) }));
        Assert.Throws<ArgumentException>(() => SafeTensor.FromFloats("x", new[] { 2 }, new[] { 1f }));

        // A name twice in the JSON is rejected by the reader.
        EditHeader(path, h => h.Replace("\"b.count\":", "\"a.ids\":"));
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));
        Assert.Contains("'a.ids' twice", e.Message);
    }
}
