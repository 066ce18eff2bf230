#!/usr/bin/env bash
# The .NET peers of the benchmarks are real and comparable: builds benchmarks/KernelGen.Peers (ONNX Runtime 1.32 on
# KernelGen's own ONNX export, TorchSharp with libtorch 2.10 made loadable on this libstdc++ by eng/torchsharp/patch.sh)
# and runs its `check`:
# each peer, given KernelGen's weights and running statistics, must predict what KernelGen predicts (max |Δp| < 1e-5).
# Then its `time --quick` (compare.sh's rows) must print rows for both peers and no "#! PEER unavailable" line.
# The speed itself is compare.sh's and BenchmarkDotNet's business: `dotnet run -c Release --project benchmarks/KernelGen.Peers -- --filter '*'`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dotnet build "$root/benchmarks/KernelGen.Peers/KernelGen.Peers.csproj" -c Release --nologo -v q 2>&1 | grep -E "error|torchsharp-patch" || true
dll=$root/benchmarks/KernelGen.Peers/bin/Release/net10.0/linux-x64/KernelGen.Peers.dll
[ -f "$dll" ] || { echo "test-peers: the peers project did not build"; exit 1; }
timeout 300 dotnet "$dll" check
rows=$(timeout 300 dotnet "$dll" time --quick)
if grep -q '^#!' <<<"$rows" || ! grep -q $'^onnxruntime\tpredict\t256\t' <<<"$rows" || ! grep -q $'^torchsharp\ttrain_step\t256\t' <<<"$rows"; then
  echo "test-peers: KernelGen.Peers time did not time both peers:"; echo "$rows"; exit 1
fi
echo "test-peers: KernelGen.Peers time --quick timed ONNX Runtime and TorchSharp"
