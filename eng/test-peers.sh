#!/usr/bin/env bash
# The .NET peers of the benchmarks are real and comparable: builds benchmarks/KernelGen.Peers (ONNX Runtime 1.32 on
# KernelGen's own ONNX export, TorchSharp with libtorch 2.10 made loadable on this libstdc++ by eng/torchsharp/patch.sh)
# and runs its `check`:
# each peer, given KernelGen's weights and running statistics, must predict what KernelGen predicts (max |Δp| < 1e-5).
# The speed itself is BenchmarkDotNet's business: `dotnet run -c Release --project benchmarks/KernelGen.Peers -- --filter '*'`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dotnet build "$root/benchmarks/KernelGen.Peers/KernelGen.Peers.csproj" -c Release --nologo -v q 2>&1 | grep -E "error|torchsharp-patch" || true
dll=$root/benchmarks/KernelGen.Peers/bin/Release/net10.0/linux-x64/KernelGen.Peers.dll
[ -f "$dll" ] || { echo "test-peers: the peers project did not build"; exit 1; }
timeout 300 dotnet "$dll" check
