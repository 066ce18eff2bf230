using System;
using System.Globalization;
using System.IO;
using System.IO.Compression;

namespace KernelGen.Data;

/// <summary>
/// The bundled handwritten digits: 1,797 images of 8×8 pixels with values 0..16, labels 0..9.
/// The test set of the UCI "Optical Recognition of Handwritten Digits" data set (E. Alpaydin,
/// C. Kaynak, 1998; CC BY 4.0), as shipped by scikit-learn.
/// </summary>
public static class Digits
{
    /// <summary>Pixels per image.</summary>
    public const int FeatureCount = 64;
    /// <summary>Classes.</summary>
    public const int ClassCount = 10;

    /// <summary>Loads the embedded data. With <paramref name="scale"/> pixels are divided by 16 (to [0, 1]).</summary>
    public static Dataset Load(bool scale = true)
    {
        using Stream resource = typeof(Digits).Assembly.GetManifestResourceStream("KernelGen.Data.digits.csv.gz")
            ?? throw new InvalidOperationException("bug: the embedded digits data is missing from the KernelGen assembly.");
        using var gzip = new GZipStream(resource, CompressionMode.Decompress);
        return Csv.ReadLabelled(gzip, "digits.csv.gz (embedded)", FeatureCount, ClassCount, scale ? 1f / 16f : 1f);
    }
}

/// <summary>CSV of numeric rows: <c>featureCount</c> values then an integer label, no header.</summary>
public static class Csv
{
    /// <summary>Reads labelled rows from <paramref name="stream"/>; <paramref name="source"/> names it in errors.</summary>
    public static Dataset ReadLabelled(Stream stream, string source, int featureCount, int classCount, float scale = 1f)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new StreamReader(stream);
        var features = new System.Collections.Generic.List<float>();
        var labels = new System.Collections.Generic.List<int>();
        string? line;
        int lineNumber = 0;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            if (line.Length == 0) continue;
            string[] fields = line.Split(',');
            if (fields.Length != featureCount + 1)
                throw new InvalidDataException($"{source}, line {lineNumber}: {fields.Length} fields; expected {featureCount} features and a label.");
            for (int i = 0; i < featureCount; i++)
            {
                if (!float.TryParse(fields[i], NumberStyles.Float, CultureInfo.InvariantCulture, out float v) || !float.IsFinite(v))
                    throw new InvalidDataException($"{source}, line {lineNumber}, field {i + 1}: '{fields[i]}' is not a finite number.");
                features.Add(v * scale);
            }
            if (!int.TryParse(fields[featureCount], NumberStyles.Integer, CultureInfo.InvariantCulture, out int label) || (uint)label >= (uint)classCount)
                throw new InvalidDataException($"{source}, line {lineNumber}: label '{fields[featureCount]}' is not an integer in [0, {classCount}).");
            labels.Add(label);
        }
        if (labels.Count == 0) throw new InvalidDataException($"{source} holds no rows.");
        return new Dataset(features.ToArray(), labels.ToArray(), featureCount, classCount);
    }
}
