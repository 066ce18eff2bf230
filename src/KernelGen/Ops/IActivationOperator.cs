using System.Runtime.Intrinsics;

namespace KernelGen.Ops;

/// <summary>
/// An activation as an operator struct: the function and its derivative, for a scalar and every
/// vector width, side by side. The derivative is expressed through the <em>output</em>
/// <c>y = f(x)</c>, which is what the forward pass keeps, so no pre-activation buffer is needed.
/// </summary>
public interface IActivationOperator
{
    /// <summary><c>f(x)</c>.</summary>
    static abstract float Invoke(float x);
    /// <summary><c>f(x)</c> per lane.</summary>
    static abstract Vector128<float> Invoke(Vector128<float> x);
    /// <summary><c>f(x)</c> per lane.</summary>
    static abstract Vector256<float> Invoke(Vector256<float> x);
    /// <summary><c>f(x)</c> per lane.</summary>
    static abstract Vector512<float> Invoke(Vector512<float> x);
    /// <summary><c>f′(x)</c> written in terms of <c>y = f(x)</c>.</summary>
    static abstract float Derivative(float y);
    /// <summary><c>f′</c> per lane, from <c>y</c>.</summary>
    static abstract Vector128<float> Derivative(Vector128<float> y);
    /// <summary><c>f′</c> per lane, from <c>y</c>.</summary>
    static abstract Vector256<float> Derivative(Vector256<float> y);
    /// <summary><c>f′</c> per lane, from <c>y</c>.</summary>
    static abstract Vector512<float> Derivative(Vector512<float> y);
}
