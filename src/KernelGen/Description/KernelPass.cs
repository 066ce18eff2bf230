namespace KernelGen;

/// <summary>One of the three GEMM kernels of a dense layer (see the generated <c>RunKernel</c>).</summary>
public enum KernelPass
{
    /// <summary><c>Y = f(X·Wᵀ + b)</c>: 2·rows·in·out FLOPs.</summary>
    Forward = 0,
    /// <summary><c>dW = dZᵀ·X</c> and <c>db = Σ dZ</c>: 2·rows·in·out FLOPs (+ rows·out for db).</summary>
    WeightGradient = 1,
    /// <summary><c>dX = (dZ·W) ⊙ f′</c> of the layer below: 2·rows·in·out FLOPs. Not generated for the first dense layer.</summary>
    InputGradient = 2,
}
