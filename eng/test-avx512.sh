#!/usr/bin/env bash
# Executes the Vector512 bodies on a real (emulated) AVX-512 CPU: publishes the CLI self-contained and
# trimmed for linux-x64, then runs `kernelgen info` and `kernelgen selftest` inside Bochs' Skylake-X
# (../shared/tools/avx512-bochs/run-avx512.sh; about 3 minutes, needs root for apt).
# Timings inside Bochs mean nothing: this is a correctness check.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runner=${AVX512_RUNNER:-$root/../shared/tools/avx512-bochs/run-avx512.sh}
[ -x "$runner" ] || runner=/work/shared/tools/avx512-bochs/run-avx512.sh
if [ ! -f "$runner" ]; then echo "test-avx512: $runner not found (set AVX512_RUNNER)"; exit 1; fi
work=${AVX512_WORK:-/tmp/kernelgen-avx512}
rm -rf "$work/payload" && mkdir -p "$work/payload"
dotnet publish "$root/src/KernelGen.Cli/KernelGen.Cli.csproj" -c Release -p:SelfContainedLinux=true -o "$work/payload/app" --nologo -v q
cat > "$work/payload/run.sh" <<'SH'
#!/bin/sh
# .NET keeps Vector512 unaccelerated on this CPU model unless asked (its throttling heuristic).
export DOTNET_PreferredVectorBitWidth=512
./app/KernelGen.Cli info && ./app/KernelGen.Cli selftest
SH
chmod +x "$work/payload/run.sh"
bash "$runner" "$work/vm" "$work/payload" | tee "$work/output.txt"
grep -q "Vector512  hardware" "$work/output.txt" || { echo "test-avx512: Vector512 was not hardware-accelerated in the guest"; exit 1; }
grep -q "selftest: all kernels agree with the oracle" "$work/output.txt"
