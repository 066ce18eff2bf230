#!/usr/bin/env bash
# Executes the Vector512 bodies on an AVX-512 CPU: publishes the CLI self-contained and trimmed for linux-x64,
# then runs `kernelgen info` and `kernelgen selftest --isa vector512`.
# - This host has AVX-512: natively, on the silicon (seconds). Bochs is then skipped unless KG_BOCHS=1: an
#   emulated Skylake-X checks nothing that real AVX-512 hardware does not, and it costs 5-10 minutes of CI.
# - Otherwise: inside Bochs' Skylake-X (eng/avx512/run-bochs.sh; needs root for apt; bounded by BOCHS_TIMEOUT,
#   default 600 s, with the guest's serial log printed on a time-out). Only the Vector512 width runs in the guest
#   (the full all-width selftest did not finish within 600 s there); the narrower widths run natively in CI.
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
./app/KernelGen.Cli info && ./app/KernelGen.Cli selftest --isa vector512
SH
chmod +x "$work/payload/run.sh"
if grep -qw avx512f /proc/cpuinfo; then
  echo "test-avx512: this host has AVX-512: selftest natively"
  DOTNET_PreferredVectorBitWidth=512 "$work/payload/app/KernelGen.Cli" info | tee "$work/native-info.txt"
  grep -q "Vector512  hardware" "$work/native-info.txt" || { echo "test-avx512: Vector512 is not hardware-accelerated natively"; exit 1; }
  DOTNET_PreferredVectorBitWidth=512 "$work/payload/app/KernelGen.Cli" selftest --isa vector512
  if [ "${KG_BOCHS:-0}" != 1 ]; then
    echo "test-avx512: Vector512 checked on this CPU's AVX-512; the Bochs run is skipped (KG_BOCHS=1 runs it too)"
    exit 0
  fi
fi
rc=0
bash "$runner" "$work/vm" "$work/payload" > "$work/output.txt" 2>&1 || rc=$?
cat "$work/output.txt"
[ "$rc" = 0 ] || { echo "test-avx512: the guest run failed (rc $rc)"; exit 1; }
grep -q "Vector512  hardware" "$work/output.txt" || { echo "test-avx512: Vector512 was not hardware-accelerated in the guest"; exit 1; }
grep -q "selftest: all kernels agree with the oracle" "$work/output.txt"
