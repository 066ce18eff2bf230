using System;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using KernelGen.Ops;
using KernelGen.Reference;
using Xunit;

namespace KernelGen.Tests;

/// <summary>The oracle in src/KernelGen/Reference shares no code with the kernels' Ops it checks.</summary>
public class ReferenceIndependenceTests
{
    private static string ReferenceDirectory()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
            if (File.Exists(Path.Combine(dir, "KernelGen.sln"))) return Path.Combine(dir, "src", "KernelGen", "Reference");
        throw new DirectoryNotFoundException("KernelGen.sln not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void Reference_sources_do_not_use_Ops()
    {
        string[] files = Directory.GetFiles(ReferenceDirectory(), "*.cs");
        Assert.NotEmpty(files);
        foreach (string file in files)
        {
            // Code only: comments may cite the formula's home.
            string code = Regex.Replace(File.ReadAllText(file), @"//[^\n]*", string.Empty);
            Assert.DoesNotMatch(@"\bKernelGen\.Ops\b|\busing\s+KernelGen\.Ops\b|\bOps\.|\bDropoutMask\b|\w+Operator\b", code);
        }
    }

    [Fact]
    public void The_oracles_dropout_mask_matches_the_kernels_for_many_keys()
    {
        var r = new Random(5);
        int disagreements = 0, kept = 0, total = 0;
        foreach (float rate in new[] { 0f, 0.1f, 0.2f, 0.5f, 0.9f, 1f / 3 })
        for (int trial = 0; trial < 40; trial++)
        {
            int seed = r.Next(int.MinValue, int.MaxValue), layer = r.Next(0, 64);
            long step = trial % 2 == 0 ? r.Next() : r.NextInt64(long.MaxValue);
            uint key = DropoutMask.Key(seed, step, layer), threshold = DropoutMask.Threshold(rate);
            ulong oracleKey = ReferenceDropout.Key(seed, step, layer);
            Assert.Equal(key, oracleKey);
            for (int i = 0; i < 2000; i++)
            {
                bool a = DropoutMask.Keep(i, key, threshold), b = ReferenceDropout.Keep(i, oracleKey, rate);
                if (a != b) disagreements++;
                if (b) kept++;
                total++;
            }
        }
        Assert.Equal(0, disagreements);
        Assert.InRange(kept / (double)total, 0.4, 0.75); // mean keep probability of the rates above is about 0.66
    }
}
