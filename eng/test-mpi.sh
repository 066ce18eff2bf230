#!/usr/bin/env bash
# Data-parallel training over MPI on loopback (issue 16): installs Open MPI when missing, builds the multi-rank test
# driver and runs it under mpirun with 2 and 3 ranks. Every run is bounded by `timeout`; a hang is a failure.
#   equivalence  N ranks × 16 rows = 1 rank × 16·N rows after 20 steps (SGD and AdamW), ranks bitwise equal, 0 B/step
#   mismatch     a rank declaring another network fails at start on every rank, the message naming the difference
#   throw, kill  a rank that throws (MPI_Abort) or is SIGKILLed ends the whole job with a non-zero code, no hang
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if ! command -v mpirun >/dev/null || ! { ldconfig -p 2>/dev/null | grep -q 'libmpi\.so\.40' || compgen -G '/usr/lib/*/libmpi.so.40' >/dev/null; }; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Open MPI"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openmpi-bin libopenmpi-dev) >/dev/null || { echo "FAIL: could not install Open MPI"; exit 1; }
  else
    echo "FAIL: Open MPI (mpirun, libmpi.so.40) is missing and cannot be installed without root and apt-get"; exit 1
  fi
fi
dotnet build tests/KernelGen.Distributed.Tests/KernelGen.Distributed.Tests.csproj -c Release -v q -nologo | grep -E "error|Warn|Elapsed" || true
bin=tests/KernelGen.Distributed.Tests/bin/Release/net10.0/KernelGen.Distributed.Tests
[ -x "$bin" ] || { echo "FAIL: $bin was not built"; exit 1; }
mpi=(mpirun --allow-run-as-root --oversubscribe)
export OMPI_MCA_btl_vader_single_copy_mechanism=none TERM=dumb   # containers often forbid CMA (ptrace) between ranks
fails=0
run() { # run NAME EXPECT(ok|fail) PATTERN -- ARGS...
  local name=$1 expect=$2 pattern=$3; shift 4
  local start out rc secs
  start=$(date +%s); out=$(timeout 120 "${mpi[@]}" "$@" 2>&1); rc=$?; secs=$(( $(date +%s) - start ))
  local ok=1
  if [ "$rc" = 124 ]; then ok=0; echo "FAIL $name: still running after 120 s (hang)";
  elif [ "$expect" = ok ] && [ "$rc" != 0 ]; then ok=0; echo "FAIL $name: exit $rc";
  elif [ "$expect" = fail ] && [ "$rc" = 0 ]; then ok=0; echo "FAIL $name: the job exited 0";
  elif ! grep -qE "$pattern" <<<"$out"; then ok=0; echo "FAIL $name: output lacks /$pattern/"; fi
  if [ $ok = 1 ]; then echo "ok   $name (exit $rc, ${secs} s)"; grep -E "^(Eq|rank 0:)" <<<"$out" | cut -c 1-400; else tail -n 20 <<<"$out"; fails=$((fails + 1)); fi
}
for n in 2 3; do
  run "equivalence, $n ranks" ok "EqAdamNet: $n ranks" -- -np $n "$bin" equivalence
  run "mismatched declarations, $n ranks" ok "rank $((n - 1)) of $n declares a different network" -- -np $n "$bin" mismatch
  run "a rank throws, $n ranks" fail "injected failure on purpose" -- -np $n "$bin" throw
  run "a rank is killed, $n ranks" fail "signal 9|Killed|exited on signal" -- -np $n "$bin" kill
done
[ $fails = 0 ] && echo "mpi: all passed" || echo "mpi: $fails failed"
exit $fails
