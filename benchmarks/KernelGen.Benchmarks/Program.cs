using System;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

namespace KernelGen.Benchmarks;

public static class Program
{
    /// <summary>BenchmarkDotNet builds each suite in a child project; its default 120 s limit was too short on a loaded
    /// 2-core host (a KernelGen build with the generator takes 3–11 minutes there), so the limit is 15 minutes.</summary>
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly)
        .Run(args, ManualConfig.Create(DefaultConfig.Instance).WithBuildTimeout(TimeSpan.FromMinutes(15)));
}
