using KernelGen.Generators.Model;

namespace KernelGen.Generators.Emit.Targets;

/// <summary>
/// The only place that knows vector widths and the APIs behind them. Kernels are written once against
/// this class and emitted four times: Vector512, Vector256, Vector128 and scalar (where a "vector" is one float).
/// </summary>
internal sealed class VectorTarget
{
    /// <summary>Kernels live in KernelGen's own namespace (KernelFile), whose using directives import System.Runtime.CompilerServices,
    /// System.Runtime.Intrinsics, KernelGen.Ops and KernelGen.Runtime: the short names below are unambiguous there.</summary>
    public const string Unsafe = "Unsafe";

    public static readonly VectorTarget Vector512 = new("V512", "Vector512", 16);
    public static readonly VectorTarget Vector256 = new("V256", "Vector256", 8);
    public static readonly VectorTarget Vector128 = new("V128", "Vector128", 4);
    public static readonly VectorTarget Scalar = new("Scalar", "Scalar", 1);

    /// <summary>Widest first: the dispatch order.</summary>
    public static readonly VectorTarget[] All = { Vector512, Vector256, Vector128, Scalar };

    private readonly string _api;
    private bool _fma = true;

    private VectorTarget(string suffix, string isa, int lanes)
    {
        Suffix = suffix;
        IsaName = isa;
        Lanes = lanes;
        _api = isa;
    }

    /// <summary>Method-name suffix, e.g. <c>V256</c>.</summary>
    public string Suffix { get; }
    /// <summary>Member of KernelGen.Isa this body serves.</summary>
    public string IsaName { get; }
    /// <summary>Floats per vector (1 for scalar).</summary>
    public int Lanes { get; }
    public bool IsScalar => Lanes == 1;

    /// <summary>Returns this target configured for the compilation's facts.</summary>
    public VectorTarget With(TargetFacts facts)
    {
        var t = new VectorTarget(Suffix, IsaName, Lanes) { _fma = facts.HasMultiplyAddEstimate };
        return t;
    }

    /// <summary>
    /// Register blocking of the dense kernels for this width, measured on the build machine (AMD EPYC, AVX-512;
    /// `kernelgen bench`, batch 128, docs/kernels.md has the table). x64 has 16 vector registers without
    /// AVX-512 (xmm/ymm0–15) and 32 with it (zmm0–31): a tile's accumulators plus its live operands (one
    /// broadcast or one input row at a time) must fit, and there must be at least 8 independent accumulators
    /// (FMA latency 4 × 2 pipes) so the FMA units never wait.
    /// Vector512: forward 5 rows × 5 outputs (25 + 6 registers), dW 6 outputs × 4 vectors, dX 6 rows × 4 vectors
    /// (24 + 5). Vector256/128: forward 4 × 3 (12 + 4), dW/dX 4 × 3 vectors (12 + 4).
    /// Vector128 keeps the 16-register tiles (SSE); NEON's 32 q-registers would take the Vector512 tiles.
    /// </summary>
    public Tiles Tiles => Lanes == 16
        ? new Tiles(registers: 32, forwardRows: 5, forwardOutputs: 5, weightOutputs: 6, inputRows: 6, kVectors: 4)
        : new Tiles(registers: 16, forwardRows: 4, forwardOutputs: 3, weightOutputs: 4, inputRows: 4, kVectors: 3);

    public string Type => IsScalar ? "float" : _api + "<float>";
    public string Zero => IsScalar ? "0f" : Type + ".Zero";

    public static string At(string reference, string offset) => $"{Unsafe}.Add(ref {reference}, {offset})";

    public string Load(string reference, string offset)
        => IsScalar ? At(reference, offset) : $"{_api}.LoadUnsafe(ref {reference}, (nuint)({offset}))";

    public string Store(string value, string reference, string offset)
        => IsScalar ? $"{At(reference, offset)} = {value};" : $"{_api}.StoreUnsafe({value}, ref {reference}, (nuint)({offset}));";

    /// <summary><c>a·b + c</c>: fused where the CPU has FMA (MultiplyAddEstimate), multiply + add where it has not.</summary>
    public string MultiplyAdd(string a, string b, string c)
        => IsScalar || !_fma ? $"({a} * {b} + {c})" : $"{_api}.MultiplyAddEstimate({a}, {b}, {c})";

    public string Sqrt(string v) => IsScalar ? $"MathF.Sqrt({v})" : $"{_api}.Sqrt({v})";

    public string One => IsScalar ? "1f" : Type + ".One";

    public string Max(string a, string b) => IsScalar ? $"MathF.Max({a}, {b})" : $"{_api}.Max({a}, {b})";

    public string Min(string a, string b) => IsScalar ? $"MathF.Min({a}, {b})" : $"{_api}.Min({a}, {b})";

    /// <summary>Vector targets: all-ones lanes where a == b and the lane is not in <paramref name="taken"/>.</summary>
    public string EqualsAndNot(string a, string b, string taken) => $"{_api}.AndNot({_api}.Equals({a}, {b}), {taken})";

    public string Broadcast(string scalar) => IsScalar ? scalar : $"{_api}.Create({scalar})";

    /// <summary>Horizontal sum, folding halves (KernelGen.Ops.Lanes; cheaper than Vector512.Sum).</summary>
    public string Sum(string vector) => IsScalar ? vector : $"Lanes.Sum({vector})";

    /// <summary>A mask whose last <paramref name="keep"/> lanes are all ones, for an overlapping last vector.</summary>
    public string KeepLastLanes(int keep)
        => $"{_api}.AsSingle({_api}.GreaterThanOrEqual({_api}<int>.Indices, {_api}.Create({CodeWriter.Int(Lanes - keep)})))";
}

/// <summary>Tile sizes of the dense kernels (see <see cref="VectorTarget.Tiles"/>).</summary>
internal readonly struct Tiles
{
    public Tiles(int registers, int forwardRows, int forwardOutputs, int weightOutputs, int inputRows, int kVectors)
    {
        Registers = registers;
        ForwardRows = forwardRows;
        ForwardOutputs = forwardOutputs;
        WeightOutputs = weightOutputs;
        InputRows = inputRows;
        KVectors = kVectors;
    }

    public int Registers { get; }
    /// <summary>Forward: rows × outputs of dot-product accumulators.</summary>
    public int ForwardRows { get; }
    public int ForwardOutputs { get; }
    /// <summary>dW: outputs × <see cref="KVectors"/> vectors of k.</summary>
    public int WeightOutputs { get; }
    /// <summary>dX: rows × <see cref="KVectors"/> vectors of k.</summary>
    public int InputRows { get; }
    public int KVectors { get; }
}
