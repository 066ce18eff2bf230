using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using KernelGen.Training;

namespace KernelGen.Cli;

/// <summary>Training curves as a self-contained SVG: loss (left) and accuracy (right), train vs validation, per epoch.</summary>
public static class CurvesPlot
{
    private const int PanelWidth = 420, PanelHeight = 300, Margin = 48, Gap = 40;

    /// <summary>Writes the plot of <paramref name="epochs"/> to <paramref name="path"/> (via a temporary file, then renamed).</summary>
    public static void Write(string path, string title, IReadOnlyList<EpochMetrics> epochs, int bestEpoch = 0)
    {
        string svg = Render(title, epochs);
        string tmp = path + ".tmp";
        File.WriteAllText(tmp, svg, new UTF8Encoding(false));
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>The SVG text.</summary>
    public static string Render(string title, IReadOnlyList<EpochMetrics> epochs)
    {
        int width = 2 * (PanelWidth + Margin) + Gap + Margin / 2, height = PanelHeight + 2 * Margin + 30;
        var sb = new StringBuilder();
        sb.Append(Inv($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n"));
        sb.Append(Inv($"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n"));
        sb.Append(Inv($"<text x=\"{width / 2}\" y=\"20\" text-anchor=\"middle\" font-size=\"15\">{Escape(title)}</text>\n"));
        Panel(sb, Margin, 40, "loss", epochs, e => e.TrainLoss, e => e.ValidationLoss, percent: false);
        Panel(sb, 2 * Margin + PanelWidth + Gap, 40, "accuracy", epochs, e => e.TrainAccuracy, e => e.ValidationAccuracy, percent: true);
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    private static void Panel(StringBuilder sb, int x0, int y0, string name, IReadOnlyList<EpochMetrics> epochs, Func<EpochMetrics, double> train, Func<EpochMetrics, double> valid, bool percent)
    {
        double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
        foreach (EpochMetrics e in epochs)
            foreach (double v in new[] { train(e), valid(e) })
                if (double.IsFinite(v)) { lo = Math.Min(lo, v); hi = Math.Max(hi, v); }
        if (!double.IsFinite(lo)) { lo = 0; hi = 1; }
        if (hi - lo < 1e-9) { lo -= 0.5; hi += 0.5; }
        double pad = (hi - lo) * 0.05;
        lo -= pad;
        hi += pad;
        int n = Math.Max(epochs.Count, 2);
        double X(int epoch) => x0 + (epoch - 1) * (double)PanelWidth / (n - 1);
        double Y(double v) => y0 + PanelHeight - (v - lo) / (hi - lo) * PanelHeight;

        sb.Append(Inv($"<rect x=\"{x0}\" y=\"{y0}\" width=\"{PanelWidth}\" height=\"{PanelHeight}\" fill=\"none\" stroke=\"#999\"/>\n"));
        sb.Append(Inv($"<text x=\"{x0 + PanelWidth / 2}\" y=\"{y0 + PanelHeight + 34}\" text-anchor=\"middle\">epoch</text>\n"));
        sb.Append(Inv($"<text x=\"{x0 + 6}\" y=\"{y0 + 16}\" font-weight=\"bold\">{name}</text>\n"));
        for (int k = 0; k <= 4; k++)
        {
            double v = lo + (hi - lo) * k / 4;
            double y = Y(v);
            sb.Append(Inv($"<line x1=\"{x0}\" y1=\"{y:F1}\" x2=\"{x0 + PanelWidth}\" y2=\"{y:F1}\" stroke=\"#eee\"/>\n"));
            string label = percent ? (v * 100).ToString("F1", CultureInfo.InvariantCulture) + "%" : v.ToString("F3", CultureInfo.InvariantCulture);
            sb.Append(Inv($"<text x=\"{x0 - 4}\" y=\"{y + 4:F1}\" text-anchor=\"end\">{label}</text>\n"));
        }
        int tick = Math.Max(1, epochs.Count / 10);
        for (int e = 1; e <= epochs.Count; e += tick)
            sb.Append(Inv($"<text x=\"{X(e):F1}\" y=\"{y0 + PanelHeight + 16}\" text-anchor=\"middle\">{e}</text>\n"));
        Series(sb, epochs, train, X, Y, "#1f77b4", "train");
        Series(sb, epochs, valid, X, Y, "#d62728", "validation");
        sb.Append(Inv($"<line x1=\"{x0 + PanelWidth - 110}\" y1=\"{y0 + 14}\" x2=\"{x0 + PanelWidth - 90}\" y2=\"{y0 + 14}\" stroke=\"#1f77b4\" stroke-width=\"2\"/><text x=\"{x0 + PanelWidth - 86}\" y=\"{y0 + 18}\">train</text>\n"));
        sb.Append(Inv($"<line x1=\"{x0 + PanelWidth - 110}\" y1=\"{y0 + 30}\" x2=\"{x0 + PanelWidth - 90}\" y2=\"{y0 + 30}\" stroke=\"#d62728\" stroke-width=\"2\"/><text x=\"{x0 + PanelWidth - 86}\" y=\"{y0 + 34}\">validation</text>\n"));
    }

    private static void Series(StringBuilder sb, IReadOnlyList<EpochMetrics> epochs, Func<EpochMetrics, double> value, Func<int, double> x, Func<double, double> y, string colour, string name)
    {
        var points = new StringBuilder();
        for (int i = 0; i < epochs.Count; i++)
        {
            double v = value(epochs[i]);
            if (!double.IsFinite(v)) continue;
            points.Append(Inv($"{x(i + 1):F1},{y(v):F1} "));
        }
        if (points.Length == 0) return;
        sb.Append(Inv($"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{points.ToString().TrimEnd()}\"><title>{name}</title></polyline>\n"));
        for (int i = 0; i < epochs.Count; i++)
        {
            double v = value(epochs[i]);
            if (double.IsFinite(v)) sb.Append(Inv($"<circle cx=\"{x(i + 1):F1}\" cy=\"{y(v):F1}\" r=\"2.5\" fill=\"{colour}\"/>\n"));
        }
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static string Escape(string s) => s.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}
