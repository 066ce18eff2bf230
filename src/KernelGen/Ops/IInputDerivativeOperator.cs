using System.Runtime.Intrinsics;

namespace KernelGen.Ops;

/// <summary>
/// An activation whose derivative cannot be written through its output (GELU and SiLU are not monotonic), so the
/// backward pass takes it at the <em>input</em> <c>x</c>: a stand-alone node reads the pre-activation kept by the layer
/// before it; fused into a dense layer, the forward's epilogue keeps f′(x) itself (<c>Invoke(x, out derivative)</c>). Like
/// <see cref="IActivationOperator"/>, the function and its derivative for a scalar and every vector width.
/// </summary>
public interface IInputDerivativeOperator
{
    /// <summary><c>f(x)</c>.</summary>
    static abstract float Invoke(float x);
    /// <summary><c>f(x)</c> per lane.</summary>
    static abstract Vector128<float> Invoke(Vector128<float> x);
    /// <summary><c>f(x)</c> per lane.</summary>
    static abstract Vector256<float> Invoke(Vector256<float> x);
    /// <summary><c>f(x)</c> per lane.</summary>
    static abstract Vector512<float> Invoke(Vector512<float> x);
    /// <summary><c>f′(x)</c> at the input <c>x</c>.</summary>
    static abstract float DerivativeAt(float x);
    /// <summary><c>f′(x)</c> per lane, at the input.</summary>
    static abstract Vector128<float> DerivativeAt(Vector128<float> x);
    /// <summary><c>f′(x)</c> per lane, at the input.</summary>
    static abstract Vector256<float> DerivativeAt(Vector256<float> x);
    /// <summary><c>f′(x)</c> per lane, at the input.</summary>
    static abstract Vector512<float> DerivativeAt(Vector512<float> x);

    /// <summary><c>f(x)</c>, and <c>f′(x)</c> in <paramref name="derivative"/>, from one evaluation of what both share — the same
    /// bits as <see cref="Invoke(float)"/> and <see cref="DerivativeAt(float)"/> separately. A dense layer's forward epilogue
    /// keeps the derivative for the backward pass (issue 14 part 3), so the special function runs once per element and step.
    /// GELU and SiLU implement <see cref="DerivativeAt(float)"/> through it, so the bits agree by construction.</summary>
    static abstract float Invoke(float x, out float derivative);
    /// <summary><c>f(x)</c> and <c>f′(x)</c> per lane, from one evaluation.</summary>
    static abstract Vector128<float> Invoke(Vector128<float> x, out Vector128<float> derivative);
    /// <summary><c>f(x)</c> and <c>f′(x)</c> per lane, from one evaluation.</summary>
    static abstract Vector256<float> Invoke(Vector256<float> x, out Vector256<float> derivative);
    /// <summary><c>f(x)</c> and <c>f′(x)</c> per lane, from one evaluation.</summary>
    static abstract Vector512<float> Invoke(Vector512<float> x, out Vector512<float> derivative);
}
