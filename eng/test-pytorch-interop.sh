#!/usr/bin/env bash
# PyTorch reads KernelGen's checkpoints: PyTorchInteropTests writes a trained FashionMlp checkpoint with Predict's
# outputs; tests/interop/torch_roundtrip.py (Debian's python3-torch, numpy only for safetensors) loads it into
# nn.Sequential and must reproduce the outputs within 1e-5 relative. The other direction (PyTorch-trained models
# imported through ONNX) is covered by ImportTests with the committed fixtures (tests/fixtures/onnx/make_fixtures.py).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! /usr/bin/python3 -c "import torch, numpy" 2>/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  timeout 900 apt-get install -y python3-torch python3-numpy >/dev/null
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
KG_INTEROP_OUT="$out" timeout 900 dotnet test tests/KernelGen.Onnx.Tests/KernelGen.Onnx.Tests.csproj -c Release \
  --filter "FullyQualifiedName~PyTorchInteropTests" --nologo -v q
timeout 300 /usr/bin/python3 tests/interop/torch_roundtrip.py "$out"
