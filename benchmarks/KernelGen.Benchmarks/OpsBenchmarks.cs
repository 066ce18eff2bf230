using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using KernelGen.Benchmarks.OpNetworks;
using KernelGen.Ops;

namespace KernelGen.Benchmarks;

/// <summary>Seeded inputs for the ops suites: uniform in [−8, 8] (every branch of every activation is taken).</summary>
internal static class Seeded
{
    public static float[] Uniform(int n, int seed, float lo = -8f, float hi = 8f)
    {
        var r = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = lo + (float)r.NextDouble() * (hi - lo);
        return a;
    }
}

/// <summary>
/// Every activation over N floats (N = 128, and 3079 = 6·512 + 7 so the overlapping last vector is taken): the
/// operator's scalar <c>Invoke(float)</c> in a plain loop (baseline), System.Numerics.Tensors (its own op where it
/// has one, else the shortest composition of its primitives), and KernelGen (<see cref="Elementwise"/>.Map/MapAt;
/// LeakyReLU and ELU take α and have no Map, so the Vector512/256 loop below is written as the generator emits it).
/// TensorPrimitives has no erf, so GELU has no TensorPrimitives row.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
public class ActivationOpsBenchmarks
{
    private float[] _x = null!, _y = null!, _t = null!;
    private const float Alpha = 0.01f, EluAlpha = 1f;

    [Params(128, 3079)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _x = Seeded.Uniform(N, 1);
        _y = new float[N];
        _t = new float[N];
    }

    private static void Scalar<TOp>(float[] x, float[] y) where TOp : IActivationOperator
    {
        for (int i = 0; i < x.Length; i++) y[i] = TOp.Invoke(x[i]);
    }

    [Benchmark(Baseline = true), BenchmarkCategory("ReLU")] public void ReLUScalar() => Scalar<ReLUOperator>(_x, _y);
    [Benchmark, BenchmarkCategory("ReLU")] public void ReLUTensorPrimitives() => TensorPrimitives.Max(_x, 0f, _y);
    [Benchmark, BenchmarkCategory("ReLU")] public void ReLUKernelGen() => Elementwise.Map<ReLUOperator>(_x, _y);

    [Benchmark(Baseline = true), BenchmarkCategory("LeakyReLU")]
    public void LeakyReLUScalar() { for (int i = 0; i < _x.Length; i++) _y[i] = LeakyReLUOperator.Invoke(_x[i], Alpha); }
    /// <summary>max(x, αx) for α &lt; 1: two primitives.</summary>
    [Benchmark, BenchmarkCategory("LeakyReLU")]
    public void LeakyReLUTensorPrimitives() { TensorPrimitives.Multiply(_x, Alpha, _t); TensorPrimitives.Max(_x, _t, _y); }
    [Benchmark, BenchmarkCategory("LeakyReLU")] public void LeakyReLUKernelGen() => MapAlpha<LeakyAlpha>(_x, _y, Alpha);

    [Benchmark(Baseline = true), BenchmarkCategory("ELU")]
    public void ELUScalar() { for (int i = 0; i < _x.Length; i++) _y[i] = ELUOperator.Invoke(_x[i], EluAlpha); }
    /// <summary>x &gt; 0 ? x : α(eˣ − 1) as α(e^min(x,0) − 1) + max(x, 0): six primitives.</summary>
    [Benchmark, BenchmarkCategory("ELU")]
    public void ELUTensorPrimitives()
    {
        TensorPrimitives.Min(_x, 0f, _t); TensorPrimitives.Exp(_t, _t); TensorPrimitives.Add(_t, -1f, _t); TensorPrimitives.Multiply(_t, EluAlpha, _t);
        TensorPrimitives.Max(_x, 0f, _y); TensorPrimitives.Add(_y, _t, _y);
    }
    [Benchmark, BenchmarkCategory("ELU")] public void ELUKernelGen() => MapAlpha<EluAlphaOp>(_x, _y, EluAlpha);

    [Benchmark(Baseline = true), BenchmarkCategory("Sigmoid")] public void SigmoidScalar() => Scalar<SigmoidOperator>(_x, _y);
    [Benchmark, BenchmarkCategory("Sigmoid")] public void SigmoidTensorPrimitives() => TensorPrimitives.Sigmoid<float>(_x, _y);
    [Benchmark, BenchmarkCategory("Sigmoid")] public void SigmoidKernelGen() => Elementwise.Map<SigmoidOperator>(_x, _y);

    [Benchmark(Baseline = true), BenchmarkCategory("Tanh")] public void TanhScalar() => Scalar<TanhOperator>(_x, _y);
    [Benchmark, BenchmarkCategory("Tanh")] public void TanhTensorPrimitives() => TensorPrimitives.Tanh<float>(_x, _y);
    [Benchmark, BenchmarkCategory("Tanh")] public void TanhKernelGen() => Elementwise.Map<TanhOperator>(_x, _y);

    [Benchmark(Baseline = true), BenchmarkCategory("Softplus")] public void SoftplusScalar() => Scalar<SoftplusOperator>(_x, _y);
    /// <summary>log(1 + eˣ) as Exp, Add, Log (no overflow guard: a timing composition, not a safe softplus).</summary>
    [Benchmark, BenchmarkCategory("Softplus")]
    public void SoftplusTensorPrimitives() { TensorPrimitives.Exp(_x, _t); TensorPrimitives.Add(_t, 1f, _t); TensorPrimitives.Log(_t, _y); }
    [Benchmark, BenchmarkCategory("Softplus")] public void SoftplusKernelGen() => Elementwise.Map<SoftplusOperator>(_x, _y);

    [Benchmark(Baseline = true), BenchmarkCategory("SiLU")]
    public void SiLUScalar() { for (int i = 0; i < _x.Length; i++) _y[i] = SiLUOperator.Invoke(_x[i]); }
    /// <summary>x·σ(x): Sigmoid then Multiply.</summary>
    [Benchmark, BenchmarkCategory("SiLU")]
    public void SiLUTensorPrimitives() { TensorPrimitives.Sigmoid<float>(_x, _t); TensorPrimitives.Multiply(_x, _t, _y); }
    [Benchmark, BenchmarkCategory("SiLU")] public void SiLUKernelGen() => Elementwise.MapAt<SiLUOperator>(_x, _y);

    [Benchmark(Baseline = true), BenchmarkCategory("GELU")]
    public void GeluScalar() { for (int i = 0; i < _x.Length; i++) _y[i] = GeluOperator.Invoke(_x[i]); }
    [Benchmark, BenchmarkCategory("GELU")] public void GeluKernelGen() => Elementwise.MapAt<GeluOperator>(_x, _y);

    private interface IAlphaOp
    {
        static abstract Vector512<float> F(Vector512<float> x, Vector512<float> a);
        static abstract Vector256<float> F(Vector256<float> x, Vector256<float> a);
        static abstract float F(float x, float a);
    }

    private readonly struct LeakyAlpha : IAlphaOp
    {
        public static Vector512<float> F(Vector512<float> x, Vector512<float> a) => LeakyReLUOperator.Invoke(x, a);
        public static Vector256<float> F(Vector256<float> x, Vector256<float> a) => LeakyReLUOperator.Invoke(x, a);
        public static float F(float x, float a) => LeakyReLUOperator.Invoke(x, a);
    }

    private readonly struct EluAlphaOp : IAlphaOp
    {
        public static Vector512<float> F(Vector512<float> x, Vector512<float> a) => ELUOperator.Invoke(x, a);
        public static Vector256<float> F(Vector256<float> x, Vector256<float> a) => ELUOperator.Invoke(x, a);
        public static float F(float x, float a) => ELUOperator.Invoke(x, a);
    }

    /// <summary>Widest vector first, overlapping last vector instead of a scalar tail (as <see cref="Elementwise"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MapAlpha<TOp>(float[] x, float[] y, float alpha) where TOp : IAlphaOp
    {
        ref float xs = ref MemoryMarshal.GetArrayDataReference(x);
        ref float ys = ref MemoryMarshal.GetArrayDataReference(y);
        nuint n = (nuint)x.Length;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var a = Vector512.Create(alpha);
            nuint last = n - 16;
            Vector512<float> tail = TOp.F(Vector512.LoadUnsafe(ref xs, last), a);
            for (nuint i = 0; i < last; i += 16) TOp.F(Vector512.LoadUnsafe(ref xs, i), a).StoreUnsafe(ref ys, i);
            tail.StoreUnsafe(ref ys, last);
            return;
        }
        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var a = Vector256.Create(alpha);
            nuint last = n - 8;
            Vector256<float> tail = TOp.F(Vector256.LoadUnsafe(ref xs, last), a);
            for (nuint i = 0; i < last; i += 8) TOp.F(Vector256.LoadUnsafe(ref xs, i), a).StoreUnsafe(ref ys, i);
            tail.StoreUnsafe(ref ys, last);
            return;
        }
        for (int i = 0; i < x.Length; i++) y[i] = TOp.F(x[i], alpha);
    }
}

/// <summary>
/// Inverted dropout (rate 0.2) of N floats with KernelGen's counter-based mask (<see cref="DropoutMask"/>): the scalar
/// <c>Apply(float, …)</c> per element (baseline), the Vector512 <c>Apply</c> loop the generated forward fuses into its
/// epilogue (here alone, so it reads and writes memory), and a naive C# loop drawing from a seeded
/// <see cref="Random"/> (a stateful generator: the mask must then be stored for the backward pass; KernelGen's is recomputed).
/// </summary>
[MemoryDiagnoser]
public class DropoutMaskBenchmarks
{
    private float[] _x = null!, _y = null!;
    private readonly Random _random = new(1);
    private readonly uint _key = DropoutMask.Key(1, 1, 3), _threshold = DropoutMask.Threshold(0.2f);
    private const float Scale = 1f / 0.8f;

    [Params(128, 3079)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _x = Seeded.Uniform(N, 2);
        _y = new float[N];
    }

    [Benchmark(Baseline = true)]
    public void Scalar()
    {
        for (int i = 0; i < _x.Length; i++) _y[i] = DropoutMask.Apply(_x[i], i, _key, _threshold, Scale);
    }

    [Benchmark]
    public void KernelGenVector512()
    {
        ref float xs = ref MemoryMarshal.GetArrayDataReference(_x);
        ref float ys = ref MemoryMarshal.GetArrayDataReference(_y);
        int n = _x.Length, last = n - 16, i = 0;
        for (; i < last; i += 16) DropoutMask.Apply(Vector512.LoadUnsafe(ref xs, (nuint)i), i, _key, _threshold, Scale).StoreUnsafe(ref ys, (nuint)i);
        // The last vector overlaps: its lanes use counters last..n−1, the same decisions as the scalar call.
        DropoutMask.Apply(Vector512.LoadUnsafe(ref xs, (nuint)last), last, _key, _threshold, Scale).StoreUnsafe(ref ys, (nuint)last);
    }

    [Benchmark]
    public void NaiveSystemRandom()
    {
        for (int i = 0; i < _x.Length; i++) _y[i] = _random.NextSingle() < 0.8f ? _x[i] * Scale : 0f;
    }
}

/// <summary>
/// Batch norm over 32 rows × F features (F = 128 and 3079) in training mode, forward and backward. The generated kernel
/// is private, so KernelGen is timed as ComputeGradients of Dense(1 → F) + BatchNorm + MSE (<see cref="BatchNorm128"/>)
/// next to the same network without the batch norm (<see cref="NoBatchNorm128"/>): the difference is the batch norm.
/// The baseline is a plain scalar loop of the same batch-norm forward (batch statistics, normalise, running averages)
/// and backward (dγ, dβ, dX), float accumulators, on the same 32 × F block.
/// </summary>
[MemoryDiagnoser]
public class BatchNormBenchmarks
{
    private const int Rows = 32;
    private IRegressor _bn = null!, _plain = null!;
    private float[] _inputs = null!, _targets = null!;
    private float[] _x = null!, _y = null!, _dy = null!, _dx = null!, _gamma = null!, _beta = null!, _dgamma = null!, _dbeta = null!,
        _mean = null!, _invStd = null!, _runMean = null!, _runVar = null!;

    [Params(128, 3079)]
    public int F { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _bn = F == 128 ? new BatchNorm128(threads: 1) : new BatchNorm3079(threads: 1);
        _plain = F == 128 ? new NoBatchNorm128(threads: 1) : new NoBatchNorm3079(threads: 1);
        _inputs = Seeded.Uniform(Rows, 3, -1f, 1f);
        _targets = Seeded.Uniform(Rows * F, 4, -1f, 1f);
        _x = Seeded.Uniform(Rows * F, 5); _dy = Seeded.Uniform(Rows * F, 6, -1f, 1f);
        _y = new float[Rows * F]; _dx = new float[Rows * F];
        _gamma = Seeded.Uniform(F, 7, 0.5f, 1.5f); _beta = Seeded.Uniform(F, 8, -0.5f, 0.5f);
        _dgamma = new float[F]; _dbeta = new float[F]; _mean = new float[F]; _invStd = new float[F];
        _runMean = new float[F]; _runVar = new float[F];
    }

    [GlobalCleanup]
    public void Cleanup() { _bn.Dispose(); _plain.Dispose(); }

    [Benchmark(Baseline = true)]
    public void ScalarForwardBackward()
    {
        int f = F;
        for (int j = 0; j < f; j++)
        {
            float s = 0f, ss = 0f;
            for (int r = 0; r < Rows; r++) s += _x[r * f + j];
            float mean = s / Rows;
            for (int r = 0; r < Rows; r++) { float d = _x[r * f + j] - mean; ss += d * d; }
            float var = ss / Rows, inv = 1f / MathF.Sqrt(var + 1e-5f);
            _mean[j] = mean; _invStd[j] = inv;
            _runMean[j] = 0.9f * _runMean[j] + 0.1f * mean;
            _runVar[j] = 0.9f * _runVar[j] + 0.1f * var * Rows / (Rows - 1);
            for (int r = 0; r < Rows; r++) _y[r * f + j] = _gamma[j] * (_x[r * f + j] - mean) * inv + _beta[j];
        }
        for (int j = 0; j < f; j++)
        {
            float db = 0f, dg = 0f, mean = _mean[j], inv = _invStd[j];
            for (int r = 0; r < Rows; r++) { float d = _dy[r * f + j]; db += d; dg += d * (_x[r * f + j] - mean) * inv; }
            _dbeta[j] = db; _dgamma[j] = dg;
            float k = _gamma[j] * inv / Rows;
            for (int r = 0; r < Rows; r++)
                _dx[r * f + j] = k * (Rows * _dy[r * f + j] - db - (_x[r * f + j] - mean) * inv * dg);
        }
    }

    [Benchmark]
    public float KernelGenDenseBatchNormMse() => _bn.ComputeGradients(_inputs, _targets);

    [Benchmark]
    public float KernelGenDenseMseOnly() => _plain.ComputeGradients(_inputs, _targets);
}

/// <summary>
/// Each fused optimizer over P parameters (P = 128, and 3079 = 6·512 + 7): a naive scalar C# loop of the update
/// (baseline), the shortest System.Numerics.Tensors composition (one pass per primitive, a scratch buffer), and
/// KernelGen's generated update, timed as <c>ApplyUpdate()</c> of a Dense(1) network with exactly P parameters (which
/// also checks the gradients are finite first — a pass the peers skip). Learning rate 1e-3; momentum ρ 0.9, RMSProp ρ
/// 0.99, Adam β 0.9/0.999 with decoupled weight decay 1e-4 (AdamW; KernelGen decays the weight, not the bias).
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
public class OptimizerBenchmarks
{
    private const float Lr = 1e-3f, Rho = 0.9f, RmsRho = 0.99f, B1 = 0.9f, B2 = 0.999f, Eps = 1e-8f, Wd = 1e-4f;
    private float[] _w = null!, _g = null!, _m = null!, _v = null!, _t = null!;
    private INetwork _sgd = null!, _momentum = null!, _nesterov = null!, _adagrad = null!, _rmsprop = null!, _adamw = null!;

    [Params(128, 3079)]
    public int P { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _w = Seeded.Uniform(P, 9, -0.1f, 0.1f); _g = Seeded.Uniform(P, 10, -0.01f, 0.01f);
        _m = new float[P]; _v = Seeded.Uniform(P, 11, 0f, 1e-4f); _t = new float[P];
        bool small = P == 128;
        _sgd = Prime(small ? new Sgd128(threads: 1) : new Sgd3079(threads: 1));
        _momentum = Prime(small ? new Momentum128(threads: 1) : new Momentum3079(threads: 1));
        _nesterov = Prime(small ? new Nesterov128(threads: 1) : new Nesterov3079(threads: 1));
        _adagrad = Prime(small ? new AdaGrad128(threads: 1) : new AdaGrad3079(threads: 1));
        _rmsprop = Prime(small ? new RmsProp128(threads: 1) : new RmsProp3079(threads: 1));
        _adamw = Prime(small ? new AdamW128(threads: 1) : new AdamW3079(threads: 1));
    }

    /// <summary>Seeded gradients in the network's gradient block (ApplyUpdate reads them; they never change).</summary>
    private INetwork Prime(INetwork net)
    {
        if (net.Parameters.Length != P) throw new InvalidOperationException($"{net.GetType().Name} has {net.Parameters.Length} parameters, not {P}.");
        _g.CopyTo(net.Gradients);
        return net;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (INetwork n in new[] { _sgd, _momentum, _nesterov, _adagrad, _rmsprop, _adamw }) n.Dispose();
    }

    [Benchmark(Baseline = true), BenchmarkCategory("SGD")]
    public void SgdNaive() { for (int i = 0; i < _w.Length; i++) _w[i] -= Lr * _g[i]; }
    [Benchmark, BenchmarkCategory("SGD")] public void SgdTensorPrimitives() => TensorPrimitives.MultiplyAdd(_g, -Lr, _w, _w);
    [Benchmark, BenchmarkCategory("SGD")] public void SgdKernelGen() => _sgd.ApplyUpdate();

    [Benchmark(Baseline = true), BenchmarkCategory("Momentum")]
    public void MomentumNaive() { for (int i = 0; i < _w.Length; i++) { _m[i] = Rho * _m[i] + _g[i]; _w[i] -= Lr * _m[i]; } }
    [Benchmark, BenchmarkCategory("Momentum")]
    public void MomentumTensorPrimitives() { TensorPrimitives.MultiplyAdd(_m, Rho, _g, _m); TensorPrimitives.MultiplyAdd(_m, -Lr, _w, _w); }
    [Benchmark, BenchmarkCategory("Momentum")] public void MomentumKernelGen() => _momentum.ApplyUpdate();

    [Benchmark(Baseline = true), BenchmarkCategory("Nesterov")]
    public void NesterovNaive()
    {
        for (int i = 0; i < _w.Length; i++) { _m[i] = Rho * _m[i] + _g[i]; _w[i] -= Lr * (_g[i] + Rho * _m[i]); }
    }
    [Benchmark, BenchmarkCategory("Nesterov")]
    public void NesterovTensorPrimitives()
    {
        TensorPrimitives.MultiplyAdd(_m, Rho, _g, _m); TensorPrimitives.MultiplyAdd(_m, Rho, _g, _t); TensorPrimitives.MultiplyAdd(_t, -Lr, _w, _w);
    }
    [Benchmark, BenchmarkCategory("Nesterov")] public void NesterovKernelGen() => _nesterov.ApplyUpdate();

    [Benchmark(Baseline = true), BenchmarkCategory("AdaGrad")]
    public void AdaGradNaive()
    {
        for (int i = 0; i < _w.Length; i++) { _v[i] += _g[i] * _g[i]; _w[i] -= Lr * _g[i] / (MathF.Sqrt(_v[i]) + Eps); }
    }
    [Benchmark, BenchmarkCategory("AdaGrad")]
    public void AdaGradTensorPrimitives()
    {
        TensorPrimitives.MultiplyAdd(_g, _g, _v, _v); TensorPrimitives.Sqrt(_v, _t); TensorPrimitives.Add(_t, Eps, _t);
        TensorPrimitives.Divide(_g, _t, _t); TensorPrimitives.MultiplyAdd(_t, -Lr, _w, _w);
    }
    [Benchmark, BenchmarkCategory("AdaGrad")] public void AdaGradKernelGen() => _adagrad.ApplyUpdate();

    [Benchmark(Baseline = true), BenchmarkCategory("RMSProp")]
    public void RmsPropNaive()
    {
        for (int i = 0; i < _w.Length; i++) { _v[i] = RmsRho * _v[i] + (1 - RmsRho) * _g[i] * _g[i]; _w[i] -= Lr * _g[i] / (MathF.Sqrt(_v[i]) + Eps); }
    }
    [Benchmark, BenchmarkCategory("RMSProp")]
    public void RmsPropTensorPrimitives()
    {
        TensorPrimitives.Multiply(_g, _g, _t); TensorPrimitives.Multiply(_t, 1 - RmsRho, _t); TensorPrimitives.MultiplyAdd(_v, RmsRho, _t, _v);
        TensorPrimitives.Sqrt(_v, _t); TensorPrimitives.Add(_t, Eps, _t); TensorPrimitives.Divide(_g, _t, _t); TensorPrimitives.MultiplyAdd(_t, -Lr, _w, _w);
    }
    [Benchmark, BenchmarkCategory("RMSProp")] public void RmsPropKernelGen() => _rmsprop.ApplyUpdate();

    private int _step;

    [Benchmark(Baseline = true), BenchmarkCategory("AdamW")]
    public void AdamWNaive()
    {
        int t = ++_step % 1000 + 1;
        float c1 = 1f / (1f - MathF.Pow(B1, t)), c2 = 1f / (1f - MathF.Pow(B2, t));
        for (int i = 0; i < _w.Length; i++)
        {
            _m[i] = B1 * _m[i] + (1 - B1) * _g[i];
            _v[i] = B2 * _v[i] + (1 - B2) * _g[i] * _g[i];
            _w[i] -= Lr * (_m[i] * c1 / (MathF.Sqrt(_v[i] * c2) + Eps) + Wd * _w[i]);
        }
    }
    [Benchmark, BenchmarkCategory("AdamW")]
    public void AdamWTensorPrimitives()
    {
        int t = ++_step % 1000 + 1;
        float c1 = 1f / (1f - MathF.Pow(B1, t)), c2 = 1f / (1f - MathF.Pow(B2, t));
        TensorPrimitives.Multiply(_w, 1 - Lr * Wd, _w);                               // decoupled decay
        TensorPrimitives.Multiply(_m, B1, _m); TensorPrimitives.MultiplyAdd(_g, 1 - B1, _m, _m);
        TensorPrimitives.Multiply(_g, _g, _t); TensorPrimitives.Multiply(_t, 1 - B2, _t); TensorPrimitives.MultiplyAdd(_v, B2, _t, _v);
        TensorPrimitives.Multiply(_v, c2, _t); TensorPrimitives.Sqrt(_t, _t); TensorPrimitives.Add(_t, Eps, _t);
        TensorPrimitives.Divide(_m, _t, _t); TensorPrimitives.MultiplyAdd(_t, -Lr * c1, _w, _w);
    }
    [Benchmark, BenchmarkCategory("AdamW")] public void AdamWKernelGen() => _adamw.ApplyUpdate();
}
