using KernelGen;

// The API surface of issue 2, compiled against the packaged library and generator.
using var net = new DigitsNet();                 // seed from [Network]
using var other = new DigitsNet(seed: 42);
var rng = new Random(1);
float[] inputs = new float[8 * DigitsNet.InputSize];
int[] labels = new int[8];
for (int i = 0; i < inputs.Length; i++) inputs[i] = (float)rng.NextDouble();
for (int i = 0; i < labels.Length; i++) labels[i] = i % DigitsNet.OutputSize;

float first = net.TrainStep(inputs, labels);
double sinceStart = (DateTime.Now - System.Diagnostics.Process.GetCurrentProcess().StartTime).TotalMilliseconds;
Console.WriteLine($"first TrainStep done {sinceStart:F0} ms after the process started ({(System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported ? "JIT" : "NativeAOT")}); {KernelGen.Runtime.IsaSupport.Reason}");
float loss = first;
for (int step = 0; step < 200; step++) loss = net.TrainStep(inputs, labels);
float[] outputs = new float[8 * DigitsNet.OutputSize];
net.Predict(inputs, outputs);
Span<float> parameters = net.Parameters, gradients = net.Gradients;
Console.WriteLine($"DigitsNet from the package: {DigitsNet.ParameterCount} parameters ({parameters.Length}, {gradients.Length}), batch {DigitsNet.BatchSize}, kernels {net.Isa}");
Console.WriteLine($"loss {first:F4} -> {loss:F4} after 200 steps; sum of probabilities in row 0 = {outputs.AsSpan(0, 10).ToArray().Sum():F4}");
if (!(loss < first * 0.5f)) { Console.Error.WriteLine("FAIL: the packaged network did not learn"); return 1; }
Console.WriteLine("OK");
return 0;

[Network(Inputs = 64, BatchSize = 32, Seed = 7)]
[Dense(100, Init = Init.HeNormal)]
[Activation(Act.ReLU)]
[Dense(10)]
[SoftmaxCrossEntropy]
[Sgd(LearningRate = 0.05f)]
public partial class DigitsNet;
