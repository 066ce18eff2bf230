using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using KernelGen.Training;
using ScottPlot;

namespace KernelGen.Cli;

/// <summary>Training curves drawn with ScottPlot: loss (left) and accuracy (right), train vs validation, per epoch;
/// the best epoch marked; legends in their own panel below the axes, clear of the data.</summary>
public static class CurvesPlot
{
    private const int PanelWidth = 560, Height = 420;

    /// <summary>Writes the plot of <paramref name="epochs"/> to <paramref name="path"/>: PNG for a <c>.png</c> path,
    /// otherwise SVG (via a temporary file, then renamed). <paramref name="bestEpoch"/> &gt; 0 is marked.</summary>
    public static void Write(string path, string title, IReadOnlyList<EpochMetrics> epochs, int bestEpoch = 0)
    {
        string tmp = path + ".tmp";
        if (path.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
        {
            var multiplot = new Multiplot(Panel(title + " · loss", epochs, bestEpoch, accuracy: false));
            multiplot.AddPlot(Panel(title + " · accuracy", epochs, bestEpoch, accuracy: true));
            multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
            multiplot.SavePng(tmp, 2 * PanelWidth, Height);
        }
        else
        {
            File.WriteAllText(tmp, Svg(title, epochs, bestEpoch));
        }
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Both panels side by side in one SVG document (ScottPlot renders each; nested &lt;svg&gt; places them).</summary>
    public static string Svg(string title, IReadOnlyList<EpochMetrics> epochs, int bestEpoch)
    {
        string left = Strip(Panel(title + " · loss", epochs, bestEpoch, accuracy: false).GetSvgXml(PanelWidth, Height));
        string right = Strip(Panel(title + " · accuracy", epochs, bestEpoch, accuracy: true).GetSvgXml(PanelWidth, Height));
        return string.Create(CultureInfo.InvariantCulture,
            $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{2 * PanelWidth}\" height=\"{Height}\" viewBox=\"0 0 {2 * PanelWidth} {Height}\">\n" +
            $"<svg x=\"0\" y=\"0\" width=\"{PanelWidth}\" height=\"{Height}\"{left}\n" +
            $"<svg x=\"{PanelWidth}\" y=\"0\" width=\"{PanelWidth}\" height=\"{Height}\"{right}\n</svg>\n");

        // ScottPlot's document minus its XML declaration and its own <svg ...> attributes (kept: everything after '>').
        static string Strip(string svg)
        {
            int open = svg.IndexOf("<svg", StringComparison.Ordinal);
            int end = svg.IndexOf('>', open);
            string attributes = svg.Substring(open + 4, end - open - 4);
            string viewBox = attributes.Contains("viewBox", StringComparison.Ordinal) ? string.Empty : string.Create(CultureInfo.InvariantCulture, $" viewBox=\"0 0 {PanelWidth} {Height}\"");
            return viewBox + svg.Substring(end);
        }
    }

    private static Plot Panel(string title, IReadOnlyList<EpochMetrics> epochs, int bestEpoch, bool accuracy)
    {
        var plot = new Plot();
        double[] x = epochs.Select(e => (double)e.Epoch).ToArray();
        double scale = accuracy ? 100 : 1;
        double[] train = epochs.Select(e => scale * (accuracy ? e.TrainAccuracy : e.TrainLoss)).ToArray();
        double[] valid = epochs.Select(e => scale * (accuracy ? e.ValidationAccuracy : e.ValidationLoss)).ToArray();
        var t = plot.Add.Scatter(x, train, Colors.C0);
        t.LegendText = accuracy ? "train accuracy" : "train loss";
        t.LineWidth = 2;
        t.MarkerSize = epochs.Count > 40 ? 0 : 5;
        if (valid.Any(double.IsFinite))
        {
            var v = plot.Add.Scatter(x, valid, Colors.C1);
            v.LegendText = accuracy ? "validation accuracy" : "validation loss";
            v.LineWidth = 2;
            v.MarkerSize = epochs.Count > 40 ? 0 : 5;
        }
        if (bestEpoch > 0)
        {
            var best = plot.Add.VerticalLine(bestEpoch, 1.5f, Colors.Gray, LinePattern.Dashed);
            best.LegendText = string.Create(CultureInfo.InvariantCulture, $"best epoch ({bestEpoch})");
            EpochMetrics b = epochs.First(e => e.Epoch == bestEpoch);
            double by = scale * (accuracy ? b.ValidationAccuracy : b.ValidationLoss);
            if (double.IsFinite(by)) plot.Add.Marker(bestEpoch, by, MarkerShape.OpenCircle, 14, Colors.C1);
        }
        plot.Title(title, 14);
        plot.XLabel("epoch");
        plot.YLabel(accuracy ? "accuracy (%)" : "mean loss");
        // Whole epochs on x, first to last; y ticks from ScottPlot's nice-number generator.
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.Axes.SetLimitsX(Math.Min(0.5, x.Length > 0 ? x[0] - 0.5 : 0.5), x.Length > 0 ? x[^1] + 0.5 : 1.5);
        plot.ShowLegend(Edge.Bottom);
        return plot;
    }
}
