#!/usr/bin/env bash
# Data-parallel training over MPI on loopback (issue 16): installs Open MPI when missing, builds the multi-rank test
# driver and runs it under mpirun with 2 and 3 ranks. Every run is bounded by `timeout`; a hang is a failure.
#   equivalence  N ranks × 16 rows = 1 rank × 16·N rows after 20 steps (SGD and AdamW), ranks bitwise equal, 0 B/step
#   syncbn       synchronised batch norm: N ranks × B rows = 1 rank × N·B rows (equal and unequal rows per rank), ranks
#                bitwise equal (running statistics too), 0 B/step; per-rank batch norm (the default) must not match; asked
#                for by one rank only: every rank refuses at start
#   mismatch     a rank declaring another network fails at start on every rank, the message naming the difference
#   fit          Trainer.Fit with a DistributedTrainer group: same metrics, early stop, best epoch restored on every rank
#   throw, kill  a rank that throws (MPI_Abort) or is SIGKILLed ends the whole job with a non-zero code, no hang
#   cli          `mpirun -np 2 kernelgen train --distributed` (digits; Fashion-MNIST when installed): exit 0, one rank's
#                output, files written by rank 0 alone, a sane accuracy; a rank whose data is missing ends the job;
#                without Open MPI a clear error (exit 6); without mpirun a world of 1 rank; mpirun without --distributed refused
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if ! command -v mpirun >/dev/null || ! { grep -q 'libmpi\.so\.40' <<<"$(ldconfig -p 2>/dev/null)" || compgen -G '/usr/lib/*/libmpi.so.40' >/dev/null; }; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Open MPI"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openmpi-bin libopenmpi-dev) >/dev/null || { echo "FAIL: could not install Open MPI"; exit 1; }
  else
    echo "FAIL: Open MPI (mpirun, libmpi.so.40) is missing and cannot be installed without root and apt-get"; exit 1
  fi
fi
dotnet build tests/KernelGen.Distributed.Tests/KernelGen.Distributed.Tests.csproj -c Release -v q -nologo | grep -E "error|Warn|Elapsed" || true
dotnet build src/KernelGen.Cli/KernelGen.Cli.csproj -c Release -v q -nologo | grep -E "error|Warn|Elapsed" || true
bin=tests/KernelGen.Distributed.Tests/bin/Release/net10.0/KernelGen.Distributed.Tests
cli=$root/src/KernelGen.Cli/bin/Release/net10.0/KernelGen.Cli
[ -x "$bin" ] || { echo "FAIL: $bin was not built"; exit 1; }
[ -x "$cli" ] || { echo "FAIL: $cli was not built"; exit 1; }
mpi=(mpirun --allow-run-as-root --oversubscribe)
export OMPI_MCA_btl_vader_single_copy_mechanism=none TERM=dumb   # containers often forbid CMA (ptrace) between ranks
fails=0
passed=0
out=
check() { # check NAME EXPECT(ok|fail|EXIT-CODE) PATTERN -- COMMAND... (bounded by timeout 120; the output is left in $out)
  local name=$1 expect=$2 pattern=$3; shift 4
  local start rc secs
  start=$(date +%s); out=$(timeout 120 "$@" 2>&1); rc=$?; secs=$(( $(date +%s) - start ))
  local ok=1
  if [ "$rc" = 124 ]; then ok=0; echo "FAIL $name: still running after 120 s (hang)";
  elif [ "$expect" = ok ] && [ "$rc" != 0 ]; then ok=0; echo "FAIL $name: exit $rc";
  elif [ "$expect" = fail ] && [ "$rc" = 0 ]; then ok=0; echo "FAIL $name: the job exited 0";
  elif [[ "$expect" =~ ^[0-9]+$ ]] && [ "$rc" != "$expect" ]; then ok=0; echo "FAIL $name: exit $rc, expected $expect";
  elif ! grep -qE "$pattern" <<<"$out"; then ok=0; echo "FAIL $name: output lacks /$pattern/"; fi
  if [ $ok = 1 ]; then echo "ok   $name (exit $rc, ${secs} s)"; grep -E "^(Eq|Fit|rank 0:)" <<<"$out" | cut -c 1-400; passed=$((passed + 1)); else tail -n 20 <<<"$out"; fails=$((fails + 1)); fi
  return $((1 - ok))
}
run() { local name=$1 expect=$2 pattern=$3; shift 4; check "$name" "$expect" "$pattern" -- "${mpi[@]}" "$@"; }
expect() { # expect NAME CONDITION-TEXT TEST...: a further assertion on the last output
  local name=$1 what=$2; shift 2
  if "$@"; then echo "ok   $name: $what"; passed=$((passed + 1)); else echo "FAIL $name: not $what"; tail -n 20 <<<"$out"; fails=$((fails + 1)); fi
}
for n in 2 3; do
  run "equivalence, $n ranks" ok "EqAdamNet: $n ranks" -- -np $n "$bin" equivalence
  run "synchronised batch norm, $n ranks" ok "EqBnNet: $n ranks synchronised .*ranks bitwise equal: True; allocated over 200 steps: 0 B; sync on one rank only refused: True" -- -np $n "$bin" syncbn
  run "Trainer.Fit with the MPI group, $n ranks" ok "Fit: $n ranks, EarlyStopped .*every rank: True" -- -np $n "$bin" fit
  run "mismatched declarations, $n ranks" ok "rank $((n - 1)) of $n declares a different network" -- -np $n "$bin" mismatch
  run "a rank throws, $n ranks" fail "injected failure on purpose" -- -np $n "$bin" throw
  run "a rank is killed, $n ranks" fail "signal 9|Killed|exited on signal" -- -np $n "$bin" kill
done

# The CLI: `mpirun -np 2 kernelgen train --distributed`. Each rank runs in a directory of its own, so that a file written by
# any rank but 0 shows.
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/r0" "$tmp/r1"
ranked=(bash -c 'cd "$0/r$OMPI_COMM_WORLD_RANK" && exec "$@"' "$tmp")
if run "cli: digits, 2 ranks" ok "validation accuracy: " -- -np 2 "${ranked[@]}" "$cli" train --distributed --epochs 30 --save d.safetensors --plot d.svg; then
  acc=$(grep -oE "^validation accuracy: [0-9.]+" <<<"$out" | grep -oE "[0-9.]+$")
  expect "cli: digits, 2 ranks" "validation accuracy $acc % ≥ 90 %" awk -v a="$acc" 'BEGIN { exit !(a >= 90) }'
  expect "cli: digits, 2 ranks" "one rank's output (1 distributed line, 30 epoch lines, 1 checkpoint line)" \
    test "$(grep -c '^distributed: 2 rank' <<<"$out") $(grep -c '^epoch ' <<<"$out") $(grep -c '^checkpoint: ' <<<"$out")" = "1 30 1"
  expect "cli: digits, 2 ranks" "checkpoint and curves written by rank 0 alone" \
    test -s "$tmp/r0/d.safetensors" -a -s "$tmp/r0/d.svg" -a -z "$(ls -A "$tmp/r1")"
fi
rm -rf "$tmp"/r0/* "$tmp"/r1/*
if run "cli: digits, 2 ranks, --json" ok '"ranks":2' -- -np 2 "${ranked[@]}" "$cli" train --distributed --epochs 5 --json --plot none; then
  expect "cli: digits, 2 ranks, --json" "one JSON line" test "$(grep -c '^{"dataset"' <<<"$out")" = 1
fi
fashion=/usr/share/datasets/fashion-mnist
if [ -e "$fashion/train-images-idx3-ubyte" ] || [ -e "$fashion/train-images-idx3-ubyte.gz" ]; then
  if run "cli: fashion-mnist, 2 ranks, 2 epochs" ok '"ranks":2' -- -np 2 "${ranked[@]}" "$cli" train --dataset fashion-mnist --distributed --epochs 2 --json --plot none; then
    acc=$(grep -oE '"testAccuracy":[0-9.]+' <<<"$out" | grep -oE "[0-9.]+$")
    expect "cli: fashion-mnist, 2 ranks" "one JSON line, test accuracy $acc ≥ 0.84" \
      awk -v a="$acc" -v n="$(grep -c '^{"dataset"' <<<"$out")" 'BEGIN { exit !(a >= 0.84 && n == 1) }'
  fi
  if run "cli: fashion-mnist, 2 ranks, --sync-batchnorm" ok "batch norm synchronised: statistics over all 256 rows" -- -np 2 "${ranked[@]}" "$cli" train --dataset fashion-mnist --distributed --sync-batchnorm --rows 12000 --epochs 2 --plot none; then
    acc=$(grep -oE "^validation accuracy: [0-9.]+" <<<"$out" | grep -oE "[0-9.]+$")
    expect "cli: fashion-mnist, 2 ranks, --sync-batchnorm" "validation accuracy $acc % ≥ 80 %" awk -v a="$acc" 'BEGIN { exit !(a >= 80) }'
  fi
else
  echo "skip cli: fashion-mnist, 2 ranks (not installed: apt-get install dataset-fashion-mnist)"
fi
# Rank 1 alone cannot find its data (as on a machine without the data set) while rank 0 goes on into the collectives.
run "cli: rank 1's data missing ends the job" 3 "rank 1 of 2 ends the MPI job" -- -np 2 bash -c \
  'if [ "$OMPI_COMM_WORLD_RANK" = 1 ]; then exec "$0" train --distributed --dataset fashion-mnist --data /nonexistent --plot none; else exec "$0" train --distributed --plot none; fi' "$cli"
check "cli: --distributed without Open MPI" 6 "needs Open MPI.*apt-get install openmpi-bin" -- env KERNELGEN_MPI_LIBRARY=/nonexistent/libmpi.so.40 "$cli" train --distributed --plot none
check "cli: --distributed without mpirun (a world of 1 rank)" ok '"ranks":1,' -- "$cli" train --distributed --epochs 3 --json --plot none
check "cli: --sync-batchnorm without --distributed is refused" 2 "sync-batchnorm synchronises .*needs --distributed" -- "$cli" train --sync-batchnorm --plot none
run "cli: mpirun without --distributed is refused" 2 "Add --distributed" -- -np 2 "${ranked[@]}" "$cli" train --epochs 3 --plot none
echo "$passed passed, $fails failed"
[ $fails = 0 ] && echo "mpi: all passed" || echo "mpi: $fails failed"
exit $fails
