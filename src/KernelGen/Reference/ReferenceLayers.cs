using System;

namespace KernelGen.Reference;

/// <summary>
/// The oracle: plain, scalar, double-precision forward and backward of each layer kind, written
/// straight from the formulas. Slow on purpose — clarity is the point. Matrices are row-major.
/// </summary>
public static class ReferenceLayers
{
    /// <summary>Dense forward: <c>Y[r,o] = Σ_i X[r,i]·W[o,i] + b[o]</c>.</summary>
    public static double[] DenseForward(double[] x, int rows, int inputs, int outputs, double[] w, double[]? b)
    {
        var y = new double[rows * outputs];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < outputs; o++)
            {
                double s = b is null ? 0 : b[o];
                for (int i = 0; i < inputs; i++) s += x[r * inputs + i] * w[o * inputs + i];
                y[r * outputs + o] = s;
            }
        return y;
    }

    /// <summary>
    /// Dense backward from <c>dZ = ∂L/∂Y</c>: <c>dW[o,i] = Σ_r dZ[r,o]·X[r,i]</c>, <c>db[o] = Σ_r dZ[r,o]</c>,
    /// <c>dX[r,i] = Σ_o dZ[r,o]·W[o,i]</c>.
    /// </summary>
    public static (double[] dW, double[] db, double[] dX) DenseBackward(double[] x, double[] dz, int rows, int inputs, int outputs, double[] w)
    {
        var dw = new double[outputs * inputs];
        var db = new double[outputs];
        var dx = new double[rows * inputs];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < outputs; o++)
            {
                double g = dz[r * outputs + o];
                db[o] += g;
                for (int i = 0; i < inputs; i++)
                {
                    dw[o * inputs + i] += g * x[r * inputs + i];
                    dx[r * inputs + i] += g * w[o * inputs + i];
                }
            }
        return (dw, db, dx);
    }

    /// <summary>
    /// Layer norm forward, each row over its <paramref name="n"/> features: <c>μ = Σ_i x_i / n</c>,
    /// <c>σ² = Σ_i (x_i − μ)² / n</c> (biased, as torch.nn.LayerNorm), <c>x̂_i = (x_i − μ)/√(σ² + ε)</c>,
    /// <c>y_i = γ_i·x̂_i + β_i</c>. Returns y and, per row, μ and 1/√(σ² + ε).
    /// </summary>
    public static (double[] y, double[] mean, double[] invStd) LayerNormForward(double[] x, int rows, int n, double[] gamma, double[] beta, double epsilon)
    {
        var y = new double[rows * n];
        var mean = new double[rows];
        var inv = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            double m = 0;
            for (int i = 0; i < n; i++) m += x[r * n + i];
            m /= n;
            double v = 0;
            for (int i = 0; i < n; i++) v += (x[r * n + i] - m) * (x[r * n + i] - m);
            v /= n;
            mean[r] = m;
            inv[r] = 1 / Math.Sqrt(v + epsilon);
            for (int i = 0; i < n; i++) y[r * n + i] = gamma[i] * (x[r * n + i] - m) * inv[r] + beta[i];
        }
        return (y, mean, inv);
    }

    /// <summary>
    /// Layer norm backward from <c>dY = ∂L/∂y</c>: <c>dγ_i = Σ_r dY_ri·x̂_ri</c>, <c>dβ_i = Σ_r dY_ri</c>, and dX by the chain
    /// rule through the row's Jacobian, summed in full: <c>∂x̂_i/∂x_j = (1/σ)·(δ_ij − 1/n − x̂_i·x̂_j/n)</c> (μ and σ depend on
    /// every feature of the row), <c>dX_rj = Σ_i dY_ri·γ_i·∂x̂_i/∂x_j</c>.
    /// </summary>
    public static (double[] dGamma, double[] dBeta, double[] dX) LayerNormBackward(double[] x, double[] dy, int rows, int n, double[] gamma, double[] mean, double[] invStd)
    {
        var dGamma = new double[n];
        var dBeta = new double[n];
        var dx = new double[rows * n];
        var xhat = new double[n];
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < n; i++) xhat[i] = (x[r * n + i] - mean[r]) * invStd[r];
            for (int i = 0; i < n; i++)
            {
                dGamma[i] += dy[r * n + i] * xhat[i];
                dBeta[i] += dy[r * n + i];
            }
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int i = 0; i < n; i++)
                {
                    double jacobian = invStd[r] * ((i == j ? 1.0 : 0.0) - 1.0 / n - xhat[i] * xhat[j] / n);
                    s += dy[r * n + i] * gamma[i] * jacobian;
                }
                dx[r * n + j] = s;
            }
        }
        return (dGamma, dBeta, dx);
    }

    /// <summary>
    /// The activation <paramref name="act"/> at <paramref name="x"/>, with each function's default α (LeakyReLU 0.01,
    /// PReLU 0.25, ELU 1); see <see cref="ReferenceActivations.Activate"/>.
    /// </summary>
    public static double Activate(Act act, double x) => ReferenceActivations.Activate(act, x, DefaultAlpha(act));

    /// <summary>Derivative of <paramref name="act"/> at the pre-activation <paramref name="x"/> (ReLU′(0) = 0), default α as <see cref="Activate"/>.</summary>
    public static double Derivative(Act act, double x) => ReferenceActivations.Derivative(act, x, DefaultAlpha(act));

    /// <summary>α when <see cref="ActivationAttribute.Alpha"/> is unset: LeakyReLU 0.01, PReLU 0.25, ELU 1, else 0 (unused).</summary>
    public static double DefaultAlpha(Act act) => act switch
    {
        Act.LeakyReLU => 0.01,
        Act.PReLU => 0.25,
        Act.ELU => 1,
        _ => 0,
    };

    /// <summary>Softmax cross-entropy averaged over rows; returns the loss and <c>∂L/∂z = (softmax(z) − onehot)/rows</c>.</summary>
    public static (double loss, double[] dLogits, double[] probabilities) SoftmaxCrossEntropy(double[] logits, int rows, int classes, ReadOnlySpan<int> labels)
    {
        var d = new double[rows * classes];
        var p = new double[rows * classes];
        double loss = 0;
        for (int r = 0; r < rows; r++)
        {
            double max = double.NegativeInfinity;
            for (int j = 0; j < classes; j++) max = Math.Max(max, logits[r * classes + j]);
            double sum = 0;
            for (int j = 0; j < classes; j++) sum += Math.Exp(logits[r * classes + j] - max);
            for (int j = 0; j < classes; j++)
            {
                p[r * classes + j] = Math.Exp(logits[r * classes + j] - max) / sum;
                d[r * classes + j] = (p[r * classes + j] - (j == labels[r] ? 1 : 0)) / rows;
            }
            loss += Math.Log(sum) - (logits[r * classes + labels[r]] - max);
        }
        return (loss / rows, d, p);
    }

    /// <summary>Mean squared error over rows and outputs; returns the loss and <c>∂L/∂y = 2(y − t)/(rows·n)</c>.</summary>
    public static (double loss, double[] dOutputs) MeanSquaredError(double[] outputs, int rows, int n, ReadOnlySpan<float> targets)
    {
        var d = new double[rows * n];
        double loss = 0;
        for (int i = 0; i < rows * n; i++)
        {
            double e = outputs[i] - targets[i];
            loss += e * e;
            d[i] = 2 * e / (rows * n);
        }
        return (loss / (rows * n), d);
    }
}
