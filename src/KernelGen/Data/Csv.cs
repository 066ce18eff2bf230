using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;

namespace KernelGen.Data;

/// <summary>How <see cref="Csv.Read(string, CsvOptions)"/> reads a file.</summary>
public sealed record CsvOptions
{
    /// <summary>Column of the label, 0-based; negative counts from the end (default −1: the last column). Every other column is a feature.</summary>
    public int LabelColumn { get; init; } = -1;
    /// <summary>Whether the first line is a header to skip (default false).</summary>
    public bool HasHeader { get; init; }
    /// <summary>The field separator (default ',').</summary>
    public char Separator { get; init; } = ',';
    /// <summary>Number of classes; null (default) takes the largest label + 1.</summary>
    public int? ClassCount { get; init; }
    /// <summary>Every feature is multiplied by this (default 1).</summary>
    public float Scale { get; init; } = 1f;
}

/// <summary>
/// Numeric CSV data sets: every line a row of numbers, one column an integer label ≥ 0. Numbers are read in the
/// invariant culture ('.' decimal point). No quoting. Blank lines are skipped. A gzip-compressed file (recognised
/// by its magic 1f 8b, not its name) is decompressed. Every problem is an <see cref="InvalidDataException"/>
/// naming the file, the line and the column.
/// </summary>
public static class Csv
{
    /// <summary>Reads the data set in <paramref name="path"/> (plain or gzip'd); the feature count is the first row's field count − 1.</summary>
    public static Dataset Read(string path, CsvOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new CsvOptions();
        if (options.ClassCount is int classes) ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes, nameof(options) + ".ClassCount");
        CheckScale(options.Scale, nameof(options) + ".Scale");
        if (options.Separator is '\r' or '\n' or '"')
            throw new ArgumentException($"Separator '{options.Separator}' cannot separate fields.", nameof(options));
        using Stream stream = Idx.Open(path, out _);
        return Read(stream, path, options, expectedFeatures: null);
    }

    /// <summary>Reads labelled rows from <paramref name="stream"/>: <paramref name="featureCount"/> values then a label in [0, <paramref name="classCount"/>), no header; <paramref name="source"/> names it in errors.</summary>
    public static Dataset ReadLabelled(Stream stream, string source, int featureCount, int classCount, float scale = 1f)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(featureCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classCount);
        CheckScale(scale, nameof(scale));
        return Read(stream, source, new CsvOptions { ClassCount = classCount, Scale = scale }, featureCount);
    }

    private static void CheckScale(float scale, string name)
    {
        if (!float.IsFinite(scale) || scale == 0f)
            throw new ArgumentOutOfRangeException(name, scale, "The feature scale must be finite and not 0.");
    }

    private static Dataset Read(Stream stream, string source, CsvOptions options, int? expectedFeatures)
    {
        using var reader = new StreamReader(stream);
        var features = new List<float>();
        var labels = new List<int>();
        int fieldCount = expectedFeatures + 1 ?? -1, labelColumn = -1, firstRowLine = 0, maxLabel = -1;
        char separator = options.Separator;
        string? line;
        int lineNumber = 0;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            if (lineNumber == 1 && options.HasHeader) continue;
            ReadOnlySpan<char> rest = line;
            // .NET's number parsing ignores trailing NULs ("1\0" reads as 1): a NUL is never data.
            if (rest.Contains('\0')) throw Invalid(source, lineNumber, "a NUL byte: this is not a text file (or it is damaged).");
            if (rest.IsWhiteSpace()) continue;

            if (labelColumn < 0)
            {
                int fields = rest.Count(separator) + 1;
                if (fieldCount < 0)
                {
                    if (fields < 2)
                        throw Invalid(source, lineNumber, $"1 field; expected at least one feature and a label, separated by '{separator}'.");
                    fieldCount = fields;
                }
                labelColumn = options.LabelColumn < 0 ? fieldCount + options.LabelColumn : options.LabelColumn;
                if ((uint)labelColumn >= (uint)fieldCount)
                    throw Invalid(source, lineNumber, $"label column {options.LabelColumn} does not exist; the row has {fieldCount} fields.");
                firstRowLine = lineNumber;
            }

            int column = 0, found = -1;
            while (true)
            {
                int end = rest.IndexOf(separator);
                ReadOnlySpan<char> field = end < 0 ? rest : rest[..end];
                if (column == fieldCount)
                {
                    found = column + rest.Count(separator) + 1;
                    break;
                }
                if (column == labelColumn)
                {
                    if (!double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !(v >= 0) || v != Math.Floor(v) || v > int.MaxValue)
                        throw Invalid(source, lineNumber, column, $"label '{field.ToString()}' is not an integer ≥ 0.");
                    int label = (int)v;
                    if (options.ClassCount is null && label == int.MaxValue)
                        throw Invalid(source, lineNumber, column, $"label {label} leaves no room for a class count (largest label + 1); labels must be below {int.MaxValue}.");
                    if (options.ClassCount is int classes && label >= classes)
                        throw Invalid(source, lineNumber, column, $"label {label} is not in [0, {classes}).");
                    labels.Add(label);
                    maxLabel = Math.Max(maxLabel, label);
                }
                else
                {
                    if (!float.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out float v))
                        throw Invalid(source, lineNumber, column, field.IsWhiteSpace() ? "empty field; expected a number." : $"'{field.ToString()}' is not a number.");
                    if (!float.IsFinite(v))
                        throw Invalid(source, lineNumber, column, $"'{field.ToString()}' is not finite (NaN or infinity, or beyond the float range).");
                    float scaled = v * options.Scale;
                    if (!float.IsFinite(scaled))
                        throw Invalid(source, lineNumber, column, $"'{field.ToString()}' × scale {options.Scale} = {scaled}: beyond the float range.");
                    features.Add(scaled);
                }
                column++;
                if (end < 0) break;
                rest = rest[(end + 1)..];
            }
            if (found < 0) found = column;
            if (found != fieldCount)
            {
                string expected = expectedFeatures is int f ? $"{f} features and a label" : $"{fieldCount} as on line {firstRowLine}";
                throw Invalid(source, lineNumber, $"{found} fields; expected {expected}.");
            }
        }
        if (labels.Count == 0) throw new InvalidDataException($"{source} holds no rows.");
        return new Dataset(features.ToArray(), labels.ToArray(), fieldCount - 1, options.ClassCount ?? maxLabel + 1);
    }

    private static InvalidDataException Invalid(string source, int line, string problem)
        => new($"{source}, line {line}: {problem}");

    private static InvalidDataException Invalid(string source, int line, int column, string problem)
        => new($"{source}, line {line}, column {column + 1}: {problem}");
}
