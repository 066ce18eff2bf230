#!/usr/bin/env bash
# Executes the Vector512 bodies on a real (emulated) AVX-512 CPU: publishes the CLI self-contained and
# trimmed for linux-x64, then runs `kernelgen info` and `kernelgen selftest` inside Bochs' Skylake-X
# (eng/avx512/run-bochs.sh; about 4 minutes, needs root for apt; bounded by BOCHS_TIMEOUT, default 600 s).
# When this host has AVX-512 itself, the same selftest also runs natively first.
# Timings inside Bochs mean nothing: this is a correctness check.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runner=$root/eng/avx512/run-bochs.sh
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
if grep -qw avx512f /proc/cpuinfo; then
  echo "test-avx512: this host has AVX-512: selftest natively"
  DOTNET_PreferredVectorBitWidth=512 "$work/payload/app/KernelGen.Cli" info
  DOTNET_PreferredVectorBitWidth=512 "$work/payload/app/KernelGen.Cli" selftest --isa vector512
fi
rc=0
bash "$runner" "$work/vm" "$work/payload" > "$work/output.txt" 2>&1 || rc=$?
cat "$work/output.txt"
[ "$rc" = 0 ] || { echo "test-avx512: the guest run failed (rc $rc)"; exit 1; }
grep -q "Vector512  hardware" "$work/output.txt" || { echo "test-avx512: Vector512 was not hardware-accelerated in the guest"; exit 1; }
grep -q "selftest: all kernels agree with the oracle" "$work/output.txt"
