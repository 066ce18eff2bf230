using System;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace KernelGen.Tests;

/// <summary>
/// Every generated body (scalar, Vector128, Vector256, Vector512 — the last runs in software where the CPU
/// lacks AVX-512) against the double-precision oracle in src/KernelGen/Reference: loss, every gradient
/// tensor and Predict, for random batch sizes 1..BatchSize, random parameters and mixed-magnitude inputs.
/// </summary>
public class OracleTests
{
    [Theory]
    [MemberData(nameof(Networks.AllWithWidths), MemberType = typeof(Networks))]
    public void Generated_network_matches_the_oracle(string network, Isa isa)
    {
        Networks.Case c = Networks.Get(network);
        using INetwork net = c.Create(isa);
        Assert.Equal(isa, net.Isa);
        Gen<(int Seed, int Rows)> gen =
            from seed in Gen.Choose(0, int.MaxValue)
            from rows in Gen.Choose(1, c.Info.BatchSize)
            select (seed, rows);
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var r = new Random(t.Seed);
            float[] parameters = Values.Parameters(c.Info, r, scale: r.Next(3) == 0 ? 3.0 : 1.0);
            float[] inputs = Values.Mixed(r, t.Rows * c.Info.Inputs);
            Oracle.Matches(net, parameters, inputs, t.Rows, r);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(int.Parse(System.Environment.GetEnvironmentVariable("KG_TRIES") ?? "40")));
    }

    [Theory]
    [MemberData(nameof(Networks.AllWithWidths), MemberType = typeof(Networks))]
    public void Predict_handles_more_rows_than_the_batch(string network, Isa isa)
    {
        Networks.Case c = Networks.Get(network);
        using INetwork net = c.Create(isa);
        var r = new Random(11);
        int rows = 2 * c.Info.BatchSize + 1;
        float[] inputs = Values.Mixed(r, rows * c.Info.Inputs);
        var outputs = new float[rows * c.Info.Outputs];
        net.Predict(inputs, outputs);
        double[] p = new double[c.Info.ParameterCount];
        for (int i = 0; i < p.Length; i++) p[i] = net.Parameters[i];
        double[] st = new double[c.Info.StatisticsCount];
        for (int i = 0; i < st.Length; i++) st[i] = net.RunningStatistics[i];
        Oracle.Close(outputs, Reference.ReferenceNetwork.Predict(c.Info, p, inputs, rows, st), "Predict outputs");
    }
}

internal static class PropertyExtensions
{
    public static void Check(this Property property, Config config) => FsCheck.Check.One(config, property);
}
