using KernelGen.Generators.Model;

namespace KernelGen.Generators.Emit.Targets;

/// <summary>
/// The only place that knows vector widths and the APIs behind them. Kernels are written once against
/// this class and emitted four times: Vector512, Vector256, Vector128 and scalar (where a "vector" is one float).
/// </summary>
internal sealed class VectorTarget
{
    public const string Unsafe = "global::System.Runtime.CompilerServices.Unsafe";

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
        _api = "global::System.Runtime.Intrinsics." + isa;
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

    public string Type => IsScalar ? "float" : _api + "<float>";
    public string Zero => IsScalar ? "0f" : Type + ".Zero";

    public static string At(string reference, string offset) => $"{Unsafe}.Add(ref {reference}, {offset})";

    public string Load(string reference, string offset)
        => IsScalar ? At(reference, offset) : $"{_api}.LoadUnsafe(ref {reference}, (nuint)({offset}))";

    public string Store(string value, string reference, string offset)
        => IsScalar ? $"{At(reference, offset)} = {value};" : $"{_api}.StoreUnsafe({value}, ref {reference}, (nuint)({offset}));";

    /// <summary><c>a·b + c</c>: fused where the CPU has FMA (MultiplyAddEstimate), multiply + add where it has not.</summary>
    public string MultiplyAdd(string a, string b, string c)
        => IsScalar || !_fma ? $"{a} * {b} + {c}" : $"{_api}.MultiplyAddEstimate({a}, {b}, {c})";

    public string Broadcast(string scalar) => IsScalar ? scalar : $"{_api}.Create({scalar})";

    public string Sum(string vector) => IsScalar ? vector : $"{_api}.Sum({vector})";

    /// <summary>A mask whose last <paramref name="keep"/> lanes are all ones, for an overlapping last vector.</summary>
    public string KeepLastLanes(int keep)
        => $"{_api}.AsSingle({_api}.GreaterThanOrEqual({_api}<int>.Indices, {_api}.Create({CodeWriter.Int(Lanes - keep)})))";
}
