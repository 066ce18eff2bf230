using System;
using System.IO;
using KernelGen.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace KernelGen.Peers;

/// <summary>
/// A KernelGen network in ONNX Runtime 1.32: exported with <see cref="OnnxExport"/> (inference mode: batch norm with
/// its running statistics, no dropout, softmax at the end), one intra-op thread, sequential execution, all graph
/// optimisations, and input and output bound once to preallocated OrtValues over the caller's arrays (no copies, no
/// allocation by us per run).
/// </summary>
public sealed class OrtNetwork : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _run = new();
    private readonly OrtValue _input, _output;
    private readonly string[] _inputNames, _outputNames;
    private readonly OrtValue[] _inputs, _outputs;

    public OrtNetwork(INetwork net, float[] inputs, float[] outputs, int rows)
    {
        string path = Path.Combine(Path.GetTempPath(), $"kernelgen-peers-{Environment.ProcessId}-{net.Info.Name}.onnx");
        OnnxExport.Export(net, path);
        using var options = new SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _session = new InferenceSession(path, options);
        File.Delete(path);
        _input = OrtValue.CreateTensorValueFromMemory(inputs, new long[] { rows, net.Info.Inputs });
        _output = OrtValue.CreateTensorValueFromMemory(outputs, new long[] { rows, net.Info.Outputs });
        _inputNames = new[] { _session.InputNames[0] };
        _outputNames = new[] { _session.OutputNames[0] };
        _inputs = new[] { _input };
        _outputs = new[] { _output };
    }

    /// <summary>One inference of the bound rows into the bound outputs.</summary>
    public void Predict() => _session.Run(_run, _inputNames, _inputs, _outputNames, _outputs);

    public void Dispose()
    {
        _input.Dispose();
        _output.Dispose();
        _run.Dispose();
        _session.Dispose();
    }
}
