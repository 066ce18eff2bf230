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
