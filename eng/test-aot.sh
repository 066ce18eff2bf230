#!/usr/bin/env bash
# The CLI as a NativeAOT binary, published the way the README says (dotnet publish -r linux-x64 -p:PublishAot=true),
# with KernelGenAotInstructionSet=native: no trim/AOT warnings, the widest width this CPU has runs, the selftest
# agrees with the oracle, a short training run learns and draws its curves (ScottPlot) as PNG. (The package's default instruction set is checked with
# the AOT-published consumer in eng/test-package.sh.)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${AOT_OUT:-/tmp/kernelgen-aot}
rm -rf "$out"
start=$(date +%s)
dotnet publish "$root/src/KernelGen.Cli/KernelGen.Cli.csproj" -c Release -r linux-x64 -p:PublishAot=true \
  -p:KernelGenAotInstructionSet=native -o "$out" --nologo > "$out.log" 2>&1 || { cat "$out.log"; echo "test-aot: publish failed"; exit 1; }
if grep -E "warning (IL[0-9]+)" "$out.log"; then echo "test-aot: trim/AOT warnings"; exit 1; fi
echo "test-aot: published in $(( $(date +%s) - start )) s, 0 trim/AOT warnings, $(du -h "$out/KernelGen.Cli" | cut -f1) binary"
"$out/KernelGen.Cli" info | tee "$out.info"
grep -q "(NativeAOT)" "$out.info" || { echo "test-aot: not a NativeAOT binary"; exit 1; }
if grep -qw avx512f /proc/cpuinfo && grep -qw avx512bw /proc/cpuinfo; then
  grep -q "Isa.Auto runs:        Vector512" "$out.info" || { echo "test-aot: an AVX-512 CPU does not run Vector512 from the native-ISA binary"; exit 1; }
elif grep -qw avx2 /proc/cpuinfo; then
  grep -q "Isa.Auto runs:        Vector256" "$out.info" || { echo "test-aot: an AVX2 CPU does not run Vector256"; exit 1; }
fi
"$out/KernelGen.Cli" selftest | tail -n 2
"$out/KernelGen.Cli" train --epochs 5 --plot "$out/curves.png" | tail -n 3
# ScottPlot (SkiaSharp's native library) inside the AOT binary: a real PNG came out.
[ "$(head -c 8 "$out/curves.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || { echo "test-aot: no PNG curves"; exit 1; }
echo "test-aot: curves written as PNG ($(stat -c %s "$out/curves.png") bytes)"
