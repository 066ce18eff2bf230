using System;
using KernelGen.Distributed;
using Xunit;

namespace KernelGen.Tests;

/// <summary>KernelGen.Distributed without mpirun: the layout description ranks compare, and the error when MPI is absent.
/// The multi-rank behaviour is tested by eng/test-mpi.sh under mpirun.</summary>
public class DistributedLayoutTests
{
    [Fact]
    public void SameDeclarationHasNoDifferenceWhateverTheSeed()
    {
        using var a = new DigitsNet(seed: 1, threads: 1);
        using var b = new DigitsNet(seed: 2, threads: 1);
        Assert.Null(NetworkLayout.Difference(NetworkLayout.Describe(a), NetworkLayout.Describe(b)));
        string[] roundTrip = NetworkLayout.Decode(NetworkLayout.Encode(NetworkLayout.Describe(a)));
        Assert.Equal(NetworkLayout.Describe(a), roundTrip);
    }

    [Fact]
    public void DifferentNetworksAreNamedLineByLine()
    {
        using var digits = new DigitsNet(threads: 1);
        using var odd = new OddNet(threads: 1);
        string? d = NetworkLayout.Difference(NetworkLayout.Describe(digits), NetworkLayout.Describe(odd));
        Assert.NotNull(d);
        // Up to three differences, in description order: here the shapes, the parameter count, the optimizer's rate.
        Assert.Contains("'network: 37 inputs, 5 outputs, batch 9, loss SoftmaxCrossEntropy' where rank 0 has 'network: 64 inputs, 10 outputs, batch 32", d, StringComparison.Ordinal);
        Assert.Contains("parameters", d, StringComparison.Ordinal);
        Assert.DoesNotContain("layer 2", d, StringComparison.Ordinal);
    }

    [Fact]
    public void RunTimeSettingsAndFreezingAreCompared()
    {
        using var a = new DigitsNet(threads: 1);
        using var b = new DigitsNet(threads: 1);
        b.BaseLearningRate = 0.01f;
        Assert.Contains("run-time base rate 0.01", NetworkLayout.Difference(NetworkLayout.Describe(a), NetworkLayout.Describe(b)), StringComparison.Ordinal);
        b.BaseLearningRate = a.BaseLearningRate;
        b.SetFrozen(0);
        Assert.Contains("frozen True", NetworkLayout.Difference(NetworkLayout.Describe(a), NetworkLayout.Describe(b)), StringComparison.Ordinal);
    }

    [Fact]
    public void MissingLayersAreNamed()
    {
        string[] full = { "a", "b", "c", "d", "layer 0: x", "layer 1: y" };
        Assert.Contains("'layer 1: y' is missing (rank 0 declares 2 layers, this rank 1)", NetworkLayout.Difference(full, full[..5]), StringComparison.Ordinal);
        Assert.Contains("an extra 'layer 1: y'", NetworkLayout.Difference(full[..5], full), StringComparison.Ordinal);
    }

    [Fact]
    public void AbsentMpiLibraryIsAClearError()
    {
        string? before = Environment.GetEnvironmentVariable("KERNELGEN_MPI_LIBRARY");
        Environment.SetEnvironmentVariable("KERNELGEN_MPI_LIBRARY", "/nonexistent/libmpi.so.40");
        try
        {
            var e = Assert.Throws<DllNotFoundException>(() => Mpi.World);
            Assert.Contains("tried /nonexistent/libmpi.so.40", e.Message, StringComparison.Ordinal);
            Assert.Contains("apt-get install openmpi-bin", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("KERNELGEN_MPI_LIBRARY", before);
        }
    }
}
