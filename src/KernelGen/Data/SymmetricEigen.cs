using System;
using System.Numerics;
using System.Runtime.InteropServices;

namespace KernelGen.Data;

/// <summary>
/// Eigen-decomposition of a real symmetric matrix in double: Householder tridiagonalisation then the implicit QL
/// algorithm (EISPACK tred2/tql2, as in JAMA). The work matrix is kept transposed (row j = column j of JAMA's V), so every
/// inner loop walks contiguous memory and runs on <see cref="Vector{T}"/>. O(n³): 784 × 784 takes about a second.
/// </summary>
internal static class SymmetricEigen
{
    /// <summary>Eigenvalues in descending order and the matching unit eigenvectors, one per row of <c>vectors</c>
    /// (<c>vectors[j]</c> belongs to <c>values[j]</c>); each vector's largest-magnitude component is made positive so the result is
    /// deterministic. <paramref name="matrix"/> is read only (symmetric, <c>n × n</c> row-major).</summary>
    public static (double[] Values, double[][] Vectors) Decompose(ReadOnlySpan<double> matrix, int n)
    {
        if (matrix.Length != (long)n * n) throw new ArgumentException($"matrix has {matrix.Length} values; expected {n} × {n}.", nameof(matrix));
        var w = new double[n][]; // w[y][x] = JAMA's V[x][y]
        for (int i = 0; i < n; i++) w[i] = matrix.Slice(i * n, n).ToArray();
        var d = new double[n];
        var e = new double[n];
        if (n == 1)
        {
            d[0] = w[0][0];
            w[0][0] = 1;
            return (d, w);
        }
        Tred2(w, d, e, n);
        Tql2(w, d, e, n);
        // Sort descending, vectors with them.
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        var keys = (double[])d.Clone();
        for (int i = 0; i < n; i++) keys[i] = -keys[i];
        Array.Sort(keys, order);
        var values = new double[n];
        var vectors = new double[n][];
        for (int j = 0; j < n; j++)
        {
            values[j] = d[order[j]];
            double[] v = w[order[j]];
            int arg = 0;
            for (int k = 1; k < n; k++) if (Math.Abs(v[k]) > Math.Abs(v[arg])) arg = k;
            if (v[arg] < 0) for (int k = 0; k < n; k++) v[k] = -v[k];
            vectors[j] = v;
        }
        return (values, vectors);
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        int i = 0, n = a.Length;
        double s = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<double>.Count)
        {
            var acc = Vector<double>.Zero;
            ReadOnlySpan<Vector<double>> va = MemoryMarshal.Cast<double, Vector<double>>(a), vb = MemoryMarshal.Cast<double, Vector<double>>(b.Slice(0, n));
            for (int k = 0; k < va.Length; k++) acc += va[k] * vb[k];
            s = Vector.Sum(acc);
            i = va.Length * Vector<double>.Count;
        }
        for (; i < n; i++) s += a[i] * b[i];
        return s;
    }

    /// <summary>y −= α·x.</summary>
    private static void SubtractScaled(Span<double> y, double alpha, ReadOnlySpan<double> x)
    {
        int i = 0, n = y.Length;
        if (Vector.IsHardwareAccelerated && n >= Vector<double>.Count)
        {
            Span<Vector<double>> vy = MemoryMarshal.Cast<double, Vector<double>>(y);
            ReadOnlySpan<Vector<double>> vx = MemoryMarshal.Cast<double, Vector<double>>(x.Slice(0, n));
            var va = new Vector<double>(alpha);
            for (int k = 0; k < vy.Length; k++) vy[k] -= va * vx[k];
            i = vy.Length * Vector<double>.Count;
        }
        for (; i < n; i++) y[i] -= alpha * x[i];
    }

    private static void Tred2(double[][] w, double[] d, double[] e, int n)
    {
        for (int j = 0; j < n; j++) d[j] = w[j][n - 1];
        for (int i = n - 1; i > 0; i--)
        {
            double scale = 0, h = 0;
            for (int k = 0; k < i; k++) scale += Math.Abs(d[k]);
            if (scale == 0)
            {
                e[i] = d[i - 1];
                for (int j = 0; j < i; j++)
                {
                    d[j] = w[j][i - 1];
                    w[j][i] = 0;
                    w[i][j] = 0;
                }
            }
            else
            {
                for (int k = 0; k < i; k++)
                {
                    d[k] /= scale;
                    h += d[k] * d[k];
                }
                double f = d[i - 1];
                double g = Math.Sqrt(h);
                if (f > 0) g = -g;
                e[i] = scale * g;
                h -= f * g;
                d[i - 1] = f - g;
                for (int j = 0; j < i; j++) e[j] = 0;
                for (int j = 0; j < i; j++)
                {
                    f = d[j];
                    double[] wj = w[j];
                    w[i][j] = f;
                    g = e[j] + wj[j] * f;
                    // k in (j, i): g += V[k][j]·d[k], e[k] += V[k][j]·f
                    int len = i - 1 - j;
                    if (len > 0)
                    {
                        ReadOnlySpan<double> row = wj.AsSpan(j + 1, len);
                        g += Dot(row, d.AsSpan(j + 1, len));
                        SubtractScaled(e.AsSpan(j + 1, len), -f, row);
                    }
                    e[j] = g;
                }
                f = 0;
                for (int j = 0; j < i; j++)
                {
                    e[j] /= h;
                    f += e[j] * d[j];
                }
                double hh = f / (h + h);
                for (int j = 0; j < i; j++) e[j] -= hh * d[j];
                for (int j = 0; j < i; j++)
                {
                    f = d[j];
                    g = e[j];
                    double[] wj = w[j];
                    // k in [j, i): V[k][j] −= f·e[k] + g·d[k]
                    for (int k = j; k < i; k++) wj[k] -= f * e[k] + g * d[k];
                    d[j] = wj[i - 1];
                    wj[i] = 0;
                }
            }
            d[i] = h;
        }
        // Accumulate the transformations.
        for (int i = 0; i < n - 1; i++)
        {
            w[i][n - 1] = w[i][i];
            w[i][i] = 1;
            double h = d[i + 1];
            double[] wi1 = w[i + 1];
            if (h != 0)
            {
                for (int k = 0; k <= i; k++) d[k] = wi1[k] / h;
                for (int j = 0; j <= i; j++)
                {
                    double g = Dot(wi1.AsSpan(0, i + 1), w[j].AsSpan(0, i + 1));
                    SubtractScaled(w[j].AsSpan(0, i + 1), g, d.AsSpan(0, i + 1));
                }
            }
            for (int k = 0; k <= i; k++) wi1[k] = 0;
        }
        for (int j = 0; j < n; j++)
        {
            d[j] = w[j][n - 1];
            w[j][n - 1] = 0;
        }
        w[n - 1][n - 1] = 1;
        e[0] = 0;
    }

    private static void Tql2(double[][] w, double[] d, double[] e, int n)
    {
        for (int i = 1; i < n; i++) e[i - 1] = e[i];
        e[n - 1] = 0;
        double f = 0, tst1 = 0, eps = Math.Pow(2, -52);
        for (int l = 0; l < n; l++)
        {
            tst1 = Math.Max(tst1, Math.Abs(d[l]) + Math.Abs(e[l]));
            int m = l;
            while (m < n)
            {
                if (Math.Abs(e[m]) <= eps * tst1) break;
                m++;
            }
            if (m > l)
            {
                int iterations = 0;
                do
                {
                    if (++iterations > 60) throw new InvalidOperationException("The QL iteration did not converge (the matrix has NaN or ±∞).");
                    double g = d[l];
                    double p = (d[l + 1] - g) / (2 * e[l]);
                    double r = Hypot(p, 1);
                    if (p < 0) r = -r;
                    d[l] = e[l] / (p + r);
                    d[l + 1] = e[l] * (p + r);
                    double dl1 = d[l + 1];
                    double h = g - d[l];
                    for (int i = l + 2; i < n; i++) d[i] -= h;
                    f += h;
                    p = d[m];
                    double c = 1, c2 = c, c3 = c, el1 = e[l + 1], s = 0, s2 = 0;
                    for (int i = m - 1; i >= l; i--)
                    {
                        c3 = c2;
                        c2 = c;
                        s2 = s;
                        g = c * e[i];
                        h = c * p;
                        r = Hypot(p, e[i]);
                        e[i + 1] = s * r;
                        s = e[i] / r;
                        c = p / r;
                        p = c * d[i] - s * g;
                        d[i + 1] = h + s * (c * g + s * d[i]);
                        Rotate(w[i], w[i + 1], c, s);
                    }
                    p = -s * s2 * c3 * el1 * e[l] / dl1;
                    e[l] = s * p;
                    d[l] = c * p;
                } while (Math.Abs(e[l]) > eps * tst1);
            }
            d[l] += f;
            e[l] = 0;
        }
    }

    /// <summary>(a, b) ← (c·a − s·b, s·a + c·b), elementwise.</summary>
    private static void Rotate(double[] a, double[] b, double c, double s)
    {
        int i = 0, n = a.Length;
        if (Vector.IsHardwareAccelerated && n >= Vector<double>.Count)
        {
            Span<Vector<double>> va = MemoryMarshal.Cast<double, Vector<double>>(a.AsSpan()), vb = MemoryMarshal.Cast<double, Vector<double>>(b.AsSpan());
            var vc = new Vector<double>(c);
            var vs = new Vector<double>(s);
            for (int k = 0; k < va.Length; k++)
            {
                Vector<double> x = va[k], y = vb[k];
                vb[k] = vs * x + vc * y;
                va[k] = vc * x - vs * y;
            }
            i = va.Length * Vector<double>.Count;
        }
        for (; i < n; i++)
        {
            double x = a[i], y = b[i];
            b[i] = s * x + c * y;
            a[i] = c * x - s * y;
        }
    }

    private static double Hypot(double a, double b)
    {
        a = Math.Abs(a);
        b = Math.Abs(b);
        if (a < b) (a, b) = (b, a);
        if (a == 0) return 0;
        double t = b / a;
        return a * Math.Sqrt(1 + t * t);
    }
}
