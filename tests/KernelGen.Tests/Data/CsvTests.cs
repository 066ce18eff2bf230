using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using KernelGen.Data;
using Xunit;

namespace KernelGen.Tests;

/// <summary>The CSV reader: options, gzip by magic, the bundled digits file, and errors naming file, line and column.</summary>
public class CsvTests
{
    // From the test binary up to the repository (not [CallerFilePath]: CI builds map source paths to /_/).
    private static string DigitsFile()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
            if (File.Exists(Path.Combine(dir, "KernelGen.sln"))) return Path.Combine(dir, "src", "KernelGen", "Data", "digits.csv.gz");
        throw new InvalidOperationException("KernelGen.sln not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void The_bundled_digits_file_reads_as_Digits_Load()
    {
        Dataset csv = Csv.Read(DigitsFile(), new CsvOptions());
        Dataset digits = Digits.Load(scale: false);
        Assert.Equal((digits.Count, digits.FeatureCount, digits.ClassCount), (csv.Count, csv.FeatureCount, csv.ClassCount));
        Assert.Equal(digits.Features, csv.Features);
        Assert.Equal(digits.Labels, csv.Labels);
        Dataset scaled = Csv.Read(DigitsFile(), new CsvOptions { Scale = 1f / 16f });
        Assert.Equal(Digits.Load().Features, scaled.Features);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Options_header_separator_label_column(bool gzip)
    {
        using var dir = new TempDirectory();
        string path = dir.File("data.txt");
        string text = "label;a;b\r\n2;1.5;-3e2\n\n0; 0.25 ;7\n";
        if (gzip)
        {
            using var z = new GZipStream(File.Create(path), CompressionLevel.Fastest);
            z.Write(System.Text.Encoding.UTF8.GetBytes(text));
        }
        else File.WriteAllText(path, text);
        Dataset d = Csv.Read(path, new CsvOptions { HasHeader = true, Separator = ';', LabelColumn = 0 });
        Assert.Equal(new[] { 1.5f, -300f, 0.25f, 7f }, d.Features);
        Assert.Equal(new[] { 2, 0 }, d.Labels);
        Assert.Equal((2, 3), (d.FeatureCount, d.ClassCount));
        Dataset fromEnd = Csv.Read(path, new CsvOptions { HasHeader = true, Separator = ';', LabelColumn = -3, ClassCount = 5 });
        Assert.Equal(d.Features, fromEnd.Features);
        Assert.Equal(5, fromEnd.ClassCount);
    }

    [Fact]
    public void An_integral_float_label_is_accepted()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("a.csv"), "1,2,3.0\n4,5,1\n");
        Assert.Equal(new[] { 3, 1 }, Csv.Read(dir.File("a.csv")).Labels);
    }

    [Theory]
    [InlineData("1,2,0\n1,x,1\n", "line 2, column 2: 'x' is not a number")]
    [InlineData("1,2,0\n1,,1\n", "line 2, column 2: empty field")]
    [InlineData("1,2,0\n1,2\n", "line 2: 2 fields; expected 3 as on line 1")]
    [InlineData("1,2,0\n1,2,3,4\n", "line 2: 4 fields; expected 3 as on line 1")]
    [InlineData("1,2,0\n\n1,2,-1\n", "line 3, column 3: label '-1' is not an integer ≥ 0")]
    [InlineData("1,2,0.5\n", "line 1, column 3: label '0.5' is not an integer ≥ 0")]
    [InlineData("1,2,a\n", "line 1, column 3: label 'a' is not an integer ≥ 0")]
    [InlineData("NaN,2,0\n", "line 1, column 1: 'NaN' is not finite")]
    [InlineData("1,-Infinity,0\n", "line 1, column 2: '-Infinity' is not finite")]
    [InlineData("1,1e39,0\n", "line 1, column 2: '1e39' is not finite")]
    [InlineData("1,2.5;3,0\n", "line 1, column 2: '2.5;3' is not a number")]
    [InlineData("1,2,5\n", "line 1, column 3: label 5 is not in [0, 3)")]
    [InlineData("7\n", "line 1: 1 field")]
    [InlineData("", "holds no rows")]
    [InlineData("\n \n", "holds no rows")]
    public void Errors_name_file_line_and_column(string text, string problem)
    {
        using var dir = new TempDirectory();
        string path = dir.File("bad.csv");
        File.WriteAllText(path, text);
        var e = Assert.Throws<InvalidDataException>(() => Csv.Read(path, new CsvOptions { ClassCount = problem.Contains("[0, 3)") ? 3 : null }));
        Assert.Contains(path, e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void A_label_column_outside_the_row_is_named()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("a.csv"), "1,2,0\n");
        var e = Assert.Throws<InvalidDataException>(() => Csv.Read(dir.File("a.csv"), new CsvOptions { LabelColumn = 3 }));
        Assert.Contains("label column 3 does not exist; the row has 3 fields", e.Message);
        e = Assert.Throws<InvalidDataException>(() => Csv.Read(dir.File("a.csv"), new CsvOptions { LabelColumn = -4 }));
        Assert.Contains("label column -4", e.Message);
    }
}
