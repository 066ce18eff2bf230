using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace KernelGen.Generators.Diagnostics;

/// <summary>
/// Every diagnostic KernelGen reports. KG00xx: the network as a whole; KG01xx: one layer's arguments;
/// KG9xxx: generator faults. Each has a page at docs/diagnostics/KGxxxx.md.
/// </summary>
internal static class Descriptors
{
    private const string Category = "KernelGen";
    private const string HelpBase = "https://github.com/kernelgen/kernelgen/blob/main/docs/diagnostics/";

    private static DiagnosticDescriptor Error(string id, string title, string message)
        => new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + id + ".md");

    public static readonly DiagnosticDescriptor NotPartial = Error("KG0001",
        "Network class must be partial",
        "Network class '{0}' must be declared 'partial' so KernelGen can complete it: write 'public partial class {0}'");

    public static readonly DiagnosticDescriptor UnsupportedClass = Error("KG0002",
        "Network class must be a non-generic top-level class",
        "Network class '{0}' is {1}; declare it as a non-generic class directly in a namespace");

    public static readonly DiagnosticDescriptor BadInputs = Error("KG0003",
        "Network inputs missing or not positive",
        "[Network] on '{0}' needs Inputs = a positive number of input features (got {1})");

    public static readonly DiagnosticDescriptor BadBatchSize = Error("KG0004",
        "Network batch size missing or not positive",
        "[Network] on '{0}' needs BatchSize = the largest number of rows per training step, positive (got {1})");

    public static readonly DiagnosticDescriptor NoLayers = Error("KG0005",
        "Network has no layers",
        "Network '{0}' declares no layers: add at least one [Dense(units)] before the loss");

    public static readonly DiagnosticDescriptor NoLoss = Error("KG0006",
        "Network has no loss",
        "Network '{0}' declares no loss: add [SoftmaxCrossEntropy] or [MeanSquaredError] after the last layer");

    public static readonly DiagnosticDescriptor DuplicateLoss = Error("KG0007",
        "Network declares more than one loss",
        "Layer {0} ({1}) is a second loss on '{2}': a network has exactly one loss; remove one of them");

    public static readonly DiagnosticDescriptor LossNotLast = Error("KG0008",
        "Loss must follow every layer",
        "Layer {0} ({1}) comes after the loss on '{2}': move the loss attribute below the last layer");

    public static readonly DiagnosticDescriptor NoOptimizer = Error("KG0009",
        "Network has no optimizer",
        "Network '{0}' declares no optimizer: add one, e.g. [Sgd(LearningRate = 0.05f)]");

    public static readonly DiagnosticDescriptor DuplicateOptimizer = Error("KG0010",
        "Network declares more than one optimizer",
        "Layer {0} ({1}) is a second optimizer on '{2}': a network has exactly one optimizer; remove one of them");

    public static readonly DiagnosticDescriptor UnknownElement = Error("KG0011",
        "Attribute is not a layer KernelGen knows",
        "Layer {0} ([{1}]) derives from NetworkElementAttribute but this version of the KernelGen generator does not know it; remove it or update KernelGen");

    public static readonly DiagnosticDescriptor TooLarge = Error("KG0012",
        "Network is too large",
        "Layer {0} ({1}) needs {2} floats for {3}, more than the 2^30 a KernelGen network supports; reduce BatchSize or the layer's size");

    public static readonly DiagnosticDescriptor NetworkTooLarge = Error("KG0013",
        "Network is too large in total",
        "Network '{0}' needs {1} floats for {2}, more than the 2^30 a KernelGen network supports; reduce BatchSize or the layers' sizes");

    public static readonly DiagnosticDescriptor ConflictsWithGenerated = Error("KG0014",
        "Network class conflicts with what KernelGen generates",
        "Network class '{0}' {1}; KernelGen generates the constructor '{0}(int? seed = null, Isa isa = Isa.Auto)' and the members InputSize, OutputSize, BatchSize, ParameterCount, Info, Isa, Step, LearningRate, Parameters, Gradients, TrainStep, ComputeGradients, ApplyUpdate, RunKernel, Evaluate, Predict and Dispose");

    public static readonly DiagnosticDescriptor LanguageVersionTooLow = Error("KG0015",
        "KernelGen needs C# 10 or later",
        "Network class '{0}' is compiled as C# {1}; the code KernelGen generates needs C# 10 or later: set <LangVersion>10</LangVersion> (or newer, or remove it to get the SDK's default)");

    public static readonly DiagnosticDescriptor NonPositiveUnits = Error("KG0101",
        "Dense layer needs a positive number of units",
        "Layer {0} (Dense) has {1} units: the number of outputs must be at least 1");

    public static readonly DiagnosticDescriptor BadLearningRate = Error("KG0102",
        "Learning rate must be finite and positive",
        "Layer {0} ({1}) has LearningRate = {2}: it must be a finite number greater than 0, e.g. 0.01");

    public static readonly DiagnosticDescriptor UnknownEnumValue = Error("KG0103",
        "Unknown enum value",
        "Layer {0} ({1}) has {2} = {3}, which is not a defined {2} value");

    public static readonly DiagnosticDescriptor TooFewClasses = Error("KG0104",
        "Softmax needs at least two outputs",
        "Layer {0} (SoftmaxCrossEntropy) follows a layer with 1 output: softmax of one value is always 1, so the loss and every gradient would be 0; use 2 or more outputs, or [MeanSquaredError]");

    public static readonly DiagnosticDescriptor BadHyperParameter = Error("KG0105",
        "Hyper-parameter out of range",
        "Layer {0} ({1}) has {2} = {3}: {4}");

    public static readonly DiagnosticDescriptor DuplicateSchedule = Error("KG0106",
        "Network declares more than one learning-rate schedule",
        "Layer {0} (LearningRateSchedule) is a second schedule on '{1}': a network has at most one; remove one of them");

    public static readonly DiagnosticDescriptor MisplacedLayer = Error("KG0107",
        "Layer cannot follow what comes before it",
        "Layer {0} ({1}) follows {2}: {3}");

    public static readonly DiagnosticDescriptor InternalError = new("KG9001",
        "KernelGen generator fault",
        "KernelGen could not generate '{0}': {1}. This is a bug in KernelGen; please report it with the network description.",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "KG9001.md");

    public static IReadOnlyList<DiagnosticDescriptor> All { get; } = new[]
    {
        NotPartial, UnsupportedClass, BadInputs, BadBatchSize, NoLayers, NoLoss, DuplicateLoss, LossNotLast,
        NoOptimizer, DuplicateOptimizer, UnknownElement, TooLarge, NetworkTooLarge, ConflictsWithGenerated, LanguageVersionTooLow, NonPositiveUnits, BadLearningRate, UnknownEnumValue, TooFewClasses, BadHyperParameter, DuplicateSchedule, MisplacedLayer, InternalError,
    };

    public static DiagnosticDescriptor ById(string id)
    {
        foreach (DiagnosticDescriptor d in All)
        {
            if (d.Id == id) return d;
        }
        throw new InvalidOperationException("bug: unknown diagnostic id " + id);
    }
}
