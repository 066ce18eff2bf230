using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace KernelGen.Distributed;

/// <summary>
/// What every rank must declare identically: the network's shapes, layers, loss, optimizer and its slots, and the
/// frozen layers — one line each, so that a difference can be named. Neither the class name nor the seed is part of it
/// (ranks seed dropout by rank).
/// </summary>
public static class NetworkLayout
{
    /// <summary>The description lines of <paramref name="net"/>.</summary>
    public static string[] Describe(INetwork net)
    {
        ArgumentNullException.ThrowIfNull(net);
        NetworkInfo info = net.Info;
        var lines = new List<string>
        {
            Invariant($"network: {info.Inputs} inputs, {info.Outputs} outputs, batch {info.BatchSize}, loss {info.Loss}"),
            Invariant($"{info.ParameterCount} parameters, {info.StatisticsCount} statistics"),
            Invariant($"optimizer {info.Optimizer}, slots [{string.Join(", ", info.OptimizerSlots)}], declared rate {info.LearningRate:R}, declared decay {info.WeightDecay:R}"),
            Invariant($"run-time base rate {net.BaseLearningRate:R}, weight decay {net.WeightDecay:R}"),
        };
        for (int k = 0; k < info.Layers.Count; k++)
        {
            LayerInfo l = info.Layers[k];
            lines.Add(Invariant($"layer {k}: {l.Kind} {l.Inputs} → {l.Outputs}, {l.Activation}, init {l.Init}, bias {l.HasBias}, alpha {l.Alpha:R}, pieces {l.Pieces}, momentum {l.Momentum:R}, epsilon {l.Epsilon:R}, rate {l.Rate:R}, init value {l.InitValue:R}, offsets {l.WeightOffset}/{l.BiasOffset}/{l.StatisticsOffset}, frozen {(l.ParameterCount > 0 && net.IsFrozen(k))}"));
        }
        return lines.ToArray();
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    /// <summary>One line per description, UTF-8, as it travels between ranks.</summary>
    public static byte[] Encode(string[] lines) => Encoding.UTF8.GetBytes(string.Join("\n", lines));

    /// <summary>Inverse of <see cref="Encode"/>.</summary>
    public static string[] Decode(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes).Split('\n');

    /// <summary>The differences (up to three) between two descriptions, in words; null when they are equal.</summary>
    public static string? Difference(string[] expected, string[] actual)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        int n = Math.Min(expected.Length, actual.Length);
        var differences = new List<string>();
        for (int i = 0; i < n; i++)
            if (!string.Equals(expected[i], actual[i], StringComparison.Ordinal))
                differences.Add($"'{actual[i]}' where rank 0 has '{expected[i]}'");
        if (expected.Length > actual.Length)
            differences.Add($"'{expected[n]}' is missing (rank 0 declares {expected.Length - 4} layers, this rank {actual.Length - 4})");
        else if (actual.Length > expected.Length)
            differences.Add($"an extra '{actual[n]}' (rank 0 declares {expected.Length - 4} layers, this rank {actual.Length - 4})");
        if (differences.Count > 3)
            differences.RemoveRange(3, differences.Count - 3);
        if (differences.Count > 0)
            return string.Join("; ", differences);
        return null;
    }
}
