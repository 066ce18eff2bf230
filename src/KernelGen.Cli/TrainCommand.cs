using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text;
using System.Linq;
using System.Text.Json;
using KernelGen.Cli.Networks;
using KernelGen.Data;
using KernelGen.Distributed;
using KernelGen.IO;
using KernelGen.Training;
using Spectre.Console;

namespace KernelGen.Cli;

/// <summary><c>kernelgen train</c>: a built-in network on the bundled digits or on Fashion-MNIST, end to end.</summary>
public static partial class TrainCommand
{
    private sealed class Options
    {
        public string Dataset = "digits";
        public string? Data;
        public int? Epochs;
        public int Seed = 7;
        public Isa Isa = Isa.Auto;
        public bool Json;
        public string? Plot;
        public string Recipe = "standard";
        public int Patience;
        public string? Save;
        public int? Rows;
        public double ValidationFraction = 0.2;
        public bool ValidationGiven;
        public string Preprocess = "standardize";
        public float? Flip;
        public int? Shift;
        public float? Noise;
        public bool? Cosine;
        public int? Threads;
        public bool Distributed;
        public bool SyncBatchNorm;
        public int? Batch;
        /// <summary>The MPI job with --distributed (set once MPI is initialised); null when training alone.</summary>
        public Mpi? Mpi;
    }

    /// <summary>Runs the command; returns the exit code.</summary>
    public static int Run(string[] args)
    {
        Options o = Parse(args);
        if (o.SyncBatchNorm && !o.Distributed)
            throw new ArgumentException("--sync-batchnorm synchronises batch norm over the ranks of an MPI job: it needs --distributed (mpirun -np N kernelgen train … --distributed --sync-batchnorm).");
        if (!o.Distributed && int.TryParse(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE"), out int processes) && processes > 1)
            throw new ArgumentException($"{processes} processes were started by mpirun without --distributed: each would train alone and write the same files. Add --distributed to train one network together.");
        return o.Distributed ? RunDistributed(o, Train) : Train(o);
    }

    private static int Train(Options o)
    {
        // Every file the run will write is checked before any training: minutes of training must not end in
        // "cannot write" (issue 18, case 2). Distributed, rank 0 alone writes.
        if (Writes(o))
        {
            if (o.Save is not null) CheckWritable(o.Save, "--save");
            foreach (string plot in PlotFiles(o, o.Dataset)) CheckWritable(plot, "--plot");
        }
        return o.Dataset switch
        {
            "digits" => Digits(o),
            "fashion-mnist" => Fashion(o),
            _ => throw new ArgumentException($"--dataset '{o.Dataset}' is not one of digits, fashion-mnist."),
        };
    }

    private static Options Parse(string[] args)
    {
        var o = new Options();
        for (int i = 1; i < args.Length; i++)
        {
            string option = args[i];
            if (option == "--json") { o.Json = true; continue; }
            if (option == "--distributed") { o.Distributed = true; continue; }
            if (option == "--sync-batchnorm") { o.SyncBatchNorm = true; continue; }
            string value = i + 1 < args.Length ? args[++i] : throw new ArgumentException($"option '{option}' needs a value.");
            switch (option)
            {
                case "--dataset": o.Dataset = value; break;
                case "--data": o.Data = value; break;
                case "--epochs": o.Epochs = Program.PositiveInt(option, value); break;
                case "--seed":
                    if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out o.Seed))
                        throw new ArgumentException($"--seed '{value}' is not an integer.");
                    break;
                case "--isa":
                    if (!Enum.TryParse(value, ignoreCase: true, out o.Isa) || !Enum.IsDefined(o.Isa))
                        throw new ArgumentException($"--isa '{value}' is not one of auto, scalar, vector128, vector256, vector512.");
                    break;
                case "--plot": o.Plot = value; break;
                case "--recipe":
                    if (value is not ("standard" or "tuned")) throw new ArgumentException($"--recipe '{value}' is not one of standard, tuned.");
                    o.Recipe = value;
                    break;
                case "--patience": o.Patience = Program.PositiveInt(option, value); break;
                case "--save": o.Save = value; break;
                case "--batch": o.Batch = Program.PositiveInt(option, value); break;
                case "--threads": o.Threads = Program.PositiveInt(option, value); break;
                case "--flip": o.Flip = Fraction(option, value); break;
                case "--shift": o.Shift = int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int k) && k >= 0 && k < 28 ? k : throw new ArgumentException($"--shift '{value}' is not 0 to 27 pixels."); break;
                case "--noise": o.Noise = float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out float sd) && sd >= 0 && float.IsFinite(sd) ? sd : throw new ArgumentException($"--noise '{value}' is not a standard deviation ≥ 0."); break;
                case "--cosine": o.Cosine = value is "on" or "true" ? true : value is "off" or "false" ? false : throw new ArgumentException($"--cosine '{value}' is not on or off."); break;
                case "--rows": o.Rows = Program.PositiveInt(option, value); break;
                case "--validation":
                    o.ValidationGiven = true;
                    if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out o.ValidationFraction) || !(o.ValidationFraction >= 0 && o.ValidationFraction < 1))
                        throw new ArgumentException($"--validation '{value}' is not a fraction in [0, 1).");
                    break;
                case "--preprocess":
                    if (value is not ("standardize" or "standardize_global" or "zero_center" or "zca_whiten" or "pca_whiten" or "none"))
                        throw new ArgumentException($"--preprocess '{value}' is not one of standardize, standardize_global, zero_center, zca_whiten, pca_whiten, none.");
                    o.Preprocess = value;
                    break;
                default: throw new ArgumentException($"unknown option '{option}'.");
            }
        }
        return o;
    }

    private static float Fraction(string option, string value)
        => float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out float f) && f >= 0 && f <= 1 ? f : throw new ArgumentException($"{option} '{value}' is not a probability in [0, 1].");

    private static int Digits(Options o)
    {
        int epochs = o.Epochs ?? 30;
        Dataset all = KernelGen.Data.Digits.Load();
        // 1,797 rows: 4:1 train/validation, as the notes advise; digits has no separate test set, so the validation
        // rows double as the reported test rows (no early stopping or best-epoch restoring looks at them by default).
        (Dataset train, Dataset validation) = all.Split(0.2, o.Seed);
        int batch = Batch(o, DigitsNet.BatchSize, "DigitsNet");
        using var net = new DigitsNet(seed: NetworkSeed(o), isa: o.Isa, threads: o.Threads);
        Info(o, $"DigitsNet · {DigitsNet.InputSize} → 100 ReLU → {DigitsNet.OutputSize} · SGD η = {net.BaseLearningRate} · {DigitsNet.ParameterCount:N0} parameters · batch {batch} · kernels {net.Isa}");
        Info(o, $"digits (bundled): {train.Count} training rows, {validation.Count} validation rows (seed {o.Seed}); pixels scaled to [0, 1]");
        var trainer = new Trainer<DigitsNet>(net, train, o.Seed, batch);
        using IDisposable? group = JoinGroup(o, trainer, net, train.Count);
        var fit = Fit(o, trainer, validation, new FitOptions { Epochs = epochs, Patience = o.Patience, RestoreBest = o.Patience > 0 }, steps: Steps(o, train.Count, batch), null);
        if (o.Save is string path && Writes(o))
        {
            var metadata = new Dictionary<string, string> { ["dataset"] = "digits" };
            if (o.Mpi is Mpi mpi) metadata["ranks"] = mpi.Size.ToString(CultureInfo.InvariantCulture);
            Checkpoint.Save(net, path, metadata);
            Info(o, $"checkpoint: {path} (weights, optimizer state, step)");
        }
        // Digits has no test set: the held-out rows are the validation rows, and they are reported as what they are.
        return Report(o, "DigitsNet on digits", "digits", DigitsNet.Info.Name, net.Isa, net.Threads, fit, null, epochs, null);
    }

    private static int Fashion(Options o)
    {
        int epochs = o.Epochs ?? (o.Recipe == "tuned" ? 30 : 10);
        string? dir = FashionMnist.Locate(o.Data);
        if (dir is null)
        {
            Console.Error.WriteLine("kernelgen: " + FashionMnist.NotFound(o.Data).Message);
            return 3;
        }
        long loadStart = Stopwatch.GetTimestamp();
        Dataset trainAll, test;
        try
        {
            (trainAll, test) = FashionMnist.Load(dir);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine("kernelgen: " + e.Message);
            return 3;
        }
        if (o.Rows is int rows && rows < trainAll.Count)
        {
            var keep = new int[rows];
            for (int i = 0; i < rows; i++) keep[i] = i;
            trainAll = trainAll.Subset(keep);
        }
        // --validation 0 trains on every training image (no validation rows, no best-epoch choice).
        Dataset train = trainAll;
        Dataset? validation = null;
        // The tuned recipe's epochs and schedule were chosen on the 4:1 split; by default it then trains on every image.
        if (o.Recipe == "tuned" && !o.ValidationGiven) o.ValidationFraction = 0;
        if (o.ValidationFraction > 0) (train, validation) = trainAll.Split(o.ValidationFraction, o.Seed);
        // Fitted on the training part only; validation and test get the same statistics.
        Preprocessor? standardize = o.Preprocess == "none" ? null : Preprocessor.Fit(Preprocessor.ParseKind(o.Preprocess), train);
        bool tuned = o.Recipe == "tuned";
        // Augmentation is opt-in: measured here, flips and shifts lower an MLP's Fashion-MNIST test accuracy (docs/training.md).
        float flip = o.Flip ?? 0f, noise = o.Noise ?? 0f;
        int shift = o.Shift ?? 0;
        bool cosine = o.Cosine ?? tuned;
        ImageAugmentation? augmentation = null;
        if (flip > 0 || shift > 0 || noise > 0)
        {
            // Augment the raw images (zero padding is the background), then standardise the batch.
            augmentation = new ImageAugmentation(new ImageAugmentationOptions(28, 28, FlipProbability: flip, MaxShift: shift, NoiseStd: noise, Seed: o.Seed) { ClampMin = 0f, ClampMax = 1f });
        }
        if (augmentation is not null && standardize is { IsInvertible: false })
            throw new ArgumentException($"augmentation (--flip/--shift/--noise) works on raw images and needs an element-wise --preprocess (standardize, standardize_global, zero_center), not {o.Preprocess}.");
        standardize?.ApplyTo(train);
        if (validation is not null) standardize?.ApplyTo(validation);
        standardize?.ApplyTo(test);
        double loadSeconds = Stopwatch.GetElapsedTime(loadStart).TotalSeconds;

        int batch = Batch(o, FashionMlp.BatchSize, "FashionMlp");
        using var net = new FashionMlp(seed: NetworkSeed(o), isa: o.Isa, threads: o.Threads);
        Info(o, $"FashionMlp · 784 → 256 BN ReLU Dropout(0.2) → 128 BN LeakyReLU Dropout(0.2) → 10 · {FashionMlp.Info.Optimizer} · {FashionMlp.ParameterCount:N0} parameters · batch {batch} · kernels {net.Isa} · {net.Threads} thread(s)");
        Info(o, string.Create(CultureInfo.InvariantCulture, $"fashion-mnist ({dir}): {train.Count} training, {validation?.Count ?? 0} validation, {test.Count} test rows; preprocessing {o.Preprocess} fitted on the training rows; loaded in {loadSeconds:F1} s"));
        if (augmentation is not null || cosine) Info(o, string.Create(CultureInfo.InvariantCulture, $"recipe {o.Recipe}: horizontal flip p = {flip}, shift ±{shift} px, noise σ = {noise} on the raw images; cosine learning-rate decay {(cosine ? "on" : "off")} over {epochs} epochs"));
        var trainer = new Trainer<FashionMlp>(net, train, o.Seed, batch);
        using IDisposable? group = JoinGroup(o, trainer, net, train.Count);
        if (augmentation is not null) trainer.Transform = new AugmentThenStandardize(augmentation, standardize);
        float eta0 = net.BaseLearningRate;
        Action<EpochMetrics>? schedule = null;
        if (cosine)
        {
            // Cosine decay per epoch from η₀ to η₀/50, through the run-time BaseLearningRate.
            schedule = m => net.BaseLearningRate = eta0 * (float)(0.02 + 0.98 * 0.5 * (1 + Math.Cos(Math.PI * Math.Min(m.Epoch, epochs) / epochs)));
        }
        FitResult fit = Fit(o, trainer, validation, new FitOptions { Epochs = epochs, Patience = o.Patience, RestoreBest = validation is not null, Metric = StopMetric.ValidationAccuracy }, Steps(o, train.Count, batch), schedule);
        Evaluation testEval = EvaluateAll(trainer, net, test);
        if (o.Save is string path && Writes(o))
        {
            var metadata = new Dictionary<string, string>
            {
                ["dataset"] = "fashion-mnist",
                ["recipe"] = o.Recipe,
                ["preprocessing"] = standardize?.KindName ?? "none",
                ["testAccuracy"] = testEval.Accuracy.ToString("R", CultureInfo.InvariantCulture),
            };
            if (o.Mpi is Mpi mpi) metadata["ranks"] = mpi.Size.ToString(CultureInfo.InvariantCulture);
            Checkpoint.Save(net, path, metadata, standardize?.Export("preprocessing."));
            Info(o, $"checkpoint: {path} (weights, running statistics, optimizer state, step, standardisation statistics)");
        }
        return Report(o, $"FashionMlp on Fashion-MNIST ({o.Recipe})", "fashion-mnist", FashionMlp.Info.Name, net.Isa, net.Threads, fit, testEval, epochs, o.Recipe);
    }

    /// <summary>The batch transform of augmented runs: augmentation of the raw batch, then the fitted standardisation.</summary>
    private sealed class AugmentThenStandardize : IBatchTransform
    {
        private readonly ImageAugmentation _augmentation;
        private readonly Preprocessor? _preprocessor;

        public AugmentThenStandardize(ImageAugmentation augmentation, Preprocessor? preprocessor)
        {
            _augmentation = augmentation;
            _preprocessor = preprocessor;
        }

        public void Apply(Span<float> inputs, int rows, int epoch, ReadOnlySpan<int> rowIds)
        {
            // The training rows are stored standardised (so evaluation sees what the network saw): back to raw pixels,
            // augment (zero padding is the background, clamped to [0, 1]), standardise again.
            _preprocessor?.Invert(inputs);
            _augmentation.Apply(inputs, rows, epoch, rowIds);
            _preprocessor?.Apply(inputs);
        }
    }

    private static FitResult Fit<TNet>(Options o, Trainer<TNet> trainer, Dataset? validation, FitOptions fitOptions, int steps, Action<EpochMetrics>? afterEpoch)
        where TNet : IClassifier
    {
        FitResult? result = null;
        if (!Interactive(o))
        {
            result = trainer.Fit(validation, fitOptions, m =>
            {
                afterEpoch?.Invoke(m);
                if (!o.Json) Console.WriteLine(Line(m));
            });
        }
        else
        {
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(ctx =>
                {
                    ProgressTask task = ctx.AddTask("epoch 1", maxValue: steps);
                    var transform = trainer.Transform;
                    trainer.Transform = new Ticker(transform, task);
                    result = trainer.Fit(validation, fitOptions, m =>
                    {
                        afterEpoch?.Invoke(m);
                        task.Value = steps;
                        task.StopTask();
                        task.Description = string.Create(CultureInfo.InvariantCulture, $"epoch {m.Epoch} · valid acc {m.ValidationAccuracy:P2}");
                        if (m.Epoch < fitOptions.Epochs) task = ctx.AddTask($"epoch {m.Epoch + 1}", maxValue: steps);
                        ((Ticker)trainer.Transform!).Task = task;
                    });
                    trainer.Transform = transform;
                });
        }
        return result!;
    }

    /// <summary>Moves the progress bar as batches go by (a batch transform that forwards to the real one).</summary>
    private sealed class Ticker : IBatchTransform
    {
        private readonly IBatchTransform? _inner;
        public ProgressTask Task;

        public Ticker(IBatchTransform? inner, ProgressTask task)
        {
            _inner = inner;
            Task = task;
        }

        public void Apply(Span<float> inputs, int rows, int epoch, ReadOnlySpan<int> rowIds)
        {
            _inner?.Apply(inputs, rows, epoch, rowIds);
            Task.Increment(1);
        }
    }

    /// <summary>Progress bars and the closing table only on a terminal; redirected output is plain lines.</summary>
    private static bool Interactive(Options o) => !o.Json && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    private static string Plural(int n, string noun) => n == 1 ? $"1 {noun}" : string.Create(CultureInfo.InvariantCulture, $"{n} {noun}s");

    private static string Line(EpochMetrics m) => string.Create(CultureInfo.InvariantCulture,
        $"epoch {m.Epoch,3}  train loss {m.TrainLoss:F4}  train acc {m.TrainAccuracy:P2}  valid loss {m.ValidationLoss:F4}  valid acc {m.ValidationAccuracy:P2}  {m.Seconds:F2} s");

    private static void Info(Options o, string text)
    {
        if (!o.Json) Console.WriteLine(text);
    }

    private static int Report(Options o, string title, string dataset, string network, Isa isa, int threads, FitResult fit, Evaluation? test, int epochs, string? recipe)
    {
        if (!Writes(o)) return fit.Reason is StopReason.Diverged or StopReason.ValidationNotFinite ? 4 : 0; // distributed: rank 0 reports
        string[] plots = PlotFiles(o, dataset);
        int failed = 0;
        if (fit.Epochs.Count > 0)
            foreach (string file in plots)
            {
                try { CurvesPlot.Write(file, title, fit.Epochs, fit.Epochs.Count > 1 ? fit.Best.Epoch : 0); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // The training (and any --save checkpoint, written before) stays; only this picture is missing.
                    Console.Error.WriteLine($"kernelgen: the curves could not be written to {file}: {e.Message}");
                    failed = 5;
                }
            }
        if (!o.Json)
        {
            // One table: on a terminal the progress bars gave way to it; redirected, the epoch lines already are it.
            if (Interactive(o))
            {
                var table = new Table().Title(Markup.Escape(title)).AddColumns("epoch", "train loss", "train acc", "valid loss", "valid acc", "seconds");
                foreach (EpochMetrics m in fit.Epochs)
                {
                    string mark = fit.Epochs.Count > 1 && m.Epoch == fit.Best.Epoch ? " *" : string.Empty;
                    table.AddRow(Inv($"{m.Epoch}{mark}"), Inv($"{m.TrainLoss:F4}"), Inv($"{m.TrainAccuracy:P2}"), Inv($"{m.ValidationLoss:F4}"), Inv($"{m.ValidationAccuracy:P2}"), Inv($"{m.Seconds:F2}"));
                }
                AnsiConsole.Write(table);
            }
            Console.WriteLine(fit.Message);
            if (plots.Length > 0) Console.WriteLine($"training curves: {string.Join(", ", plots.Select(Path.GetFullPath))}");
            string best = fit.Epochs.Count > 1 ? Inv($"best epoch {fit.Best.Epoch} of {Plural(fit.Epochs.Count, "epoch")}") : "1 epoch";
            Console.WriteLine(Inv($"validation accuracy: {fit.Best.ValidationAccuracy:P2} (loss {fit.Best.ValidationLoss:F4}; {best})"));
            if (test is { } t)
                Console.WriteLine(Inv($"test accuracy: {t.Accuracy:P2} (loss {t.MeanLoss:F4}; the network after {Plural(fit.Epochs.Count, "epoch")}{(fit.Epochs.Count > 1 && fit.Best.Epoch != fit.Epochs.Count ? Inv($", best epoch {fit.Best.Epoch} restored") : "")})"));
            else
                Console.WriteLine($"no test accuracy: {dataset} has no separate test set (the validation rows are its held-out rows)");
        }
        else
        {
            Console.WriteLine(Json(o, dataset, network, isa, threads, recipe, fit, test));
        }
        return fit.Reason is StopReason.Diverged or StopReason.ValidationNotFinite ? 4 : failed;
    }

    /// <summary>Rows per step (per rank when distributed): --batch, else the network's BatchSize.</summary>
    private static int Batch(Options o, int batchSize, string network)
        => o.Batch is int b && b > batchSize ? throw new ArgumentException($"--batch {b} is more than {network}'s BatchSize {batchSize}.")
         : (o.Batch ??= batchSize);

    /// <summary>Steps per epoch (of this rank's shard when distributed), for the progress bar.</summary>
    private static int Steps(Options o, int rows, int batch) => (rows / (o.Mpi?.Size ?? 1) + batch - 1) / batch;

    /// <summary>Default: the curves as SVG and PNG side by side; --plot FILE.svg or FILE.png writes that one; none: none.</summary>
    private static string[] PlotFiles(Options o, string dataset)
        => o.Plot == "none" ? Array.Empty<string>()
         : o.Plot is string one ? new[] { one }
         : new[] { $"{dataset}-curves.svg", $"{dataset}-curves.png" };

    /// <summary>Refuses, before training, an output path whose directory is missing or cannot be written, or that names a directory.</summary>
    private static void CheckWritable(string path, string option)
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new ArgumentException($"{option} '{path}' is a directory; name a file.");
        string directory = Path.GetDirectoryName(full) ?? ".";
        if (!Directory.Exists(directory)) throw new ArgumentException($"{option} '{path}': the directory {directory} does not exist.");
        string probe = Path.Combine(directory, $".kernelgen-write-check-{Environment.ProcessId}");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"{option} '{path}' cannot be written ({e.Message}); nothing was trained.");
        }
    }

    private static string Json(Options o, string dataset, string network, Isa isa, int threads, string? recipe, FitResult fit, Evaluation? test)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("dataset", dataset);
            w.WriteString("network", network);
            if (recipe is not null) w.WriteString("recipe", recipe);
            w.WriteString("isa", isa.ToString());
            w.WriteNumber("threads", threads);
            w.WriteNumber("seed", o.Seed);
            if (o.Mpi is Mpi mpi)
            {
                w.WriteNumber("ranks", mpi.Size);
                w.WriteNumber("batchPerRank", o.Batch ?? 0);
            }
            if (test is { } t)
            {
                w.WriteNumber("testAccuracy", Math.Round(t.Accuracy, 6));
                w.WriteNumber("testLoss", Math.Round(t.MeanLoss, 6));
            }
            else
            {
                w.WriteNull("testAccuracy"); // no test set (digits): the validation figures are in validationAccuracy
                w.WriteNull("testLoss");
            }
            Number(w, "validationAccuracy", fit.Best.ValidationAccuracy);
            Number(w, "validationLoss", fit.Best.ValidationLoss);
            w.WriteNumber("bestEpoch", fit.Best.Epoch);
            w.WriteString("stopReason", fit.Reason.ToString());
            w.WriteStartArray("epochs");
            foreach (EpochMetrics m in fit.Epochs)
            {
                w.WriteStartObject();
                w.WriteNumber("epoch", m.Epoch);
                Number(w, "trainLoss", m.TrainLoss);
                Number(w, "trainAccuracy", m.TrainAccuracy);
                Number(w, "validationLoss", m.ValidationLoss);
                Number(w, "validationAccuracy", m.ValidationAccuracy);
                Number(w, "seconds", m.Seconds);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Number(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value)) w.WriteNumber(name, Math.Round(value, 6));
        else w.WriteNull(name);
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
