#!/usr/bin/env bash
# KernelGen vs PyTorch, OpenBLAS and oneDNN on FashionMlp, on this machine, one thread pinned to one core.
#
#   bash benchmarks/compare/compare.sh [--quick] [--raw FILE]
#   bash benchmarks/compare/compare.sh --scaling [--quick]   # 1 vs 2 threads (cores 0-1): KernelGen and PyTorch
#
# Runs, each pinned with taskset to core $KG_CORE (default 0):
#   - kernelgen compare  : FashionMlp TrainStep / Predict and every dense layer's GEMMs (src/KernelGen.Cli/CompareCommand.cs)
#   - torch_fashion.py   : the identical network in PyTorch (Debian python3-torch, torch.set_num_threads(1))
#   - gemm.c             : the same GEMM shapes through OpenBLAS cblas_sgemm and oneDNN dnnl_sgemm, and a triad (GB/s)
# then prints one table of microseconds and ratios (peer µs / KernelGen µs: above 1 means KernelGen is faster).
# --quick: shorter timing loops (under a minute in all, build included); the full mode is what docs/benchmarks.md quotes.
# Installs the Debian packages it needs when they are missing (needs root or sudo). Needs the .NET 10 SDK.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
quick=""
raw=""
scaling=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick="--quick" ;;
    --raw) raw="$2"; shift ;;
    --scaling) scaling=1 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "compare.sh: unknown option '$1' (use --quick, --raw FILE)" >&2; exit 2 ;;
  esac
  shift
done
core="${KG_CORE:-0}"
pin=(taskset -c "$core")
py=/usr/bin/python3   # Debian's python, the one python3-torch installs into

# 1. Debian packages.
need=()
for p in python3-torch libopenblas-dev libdnnl-dev gcc util-linux; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "compare.sh: installing ${need[*]}" >&2
  sudo_=""; [ "$(id -u)" -eq 0 ] || sudo_="sudo"
  $sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y "${need[@]}" >&2 || {
    $sudo_ apt-get update >&2 && $sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y "${need[@]}" >&2; }
fi

# 2. Build: KernelGen's CLI once, the C helper with gcc.
work="${TMPDIR:-/tmp}/kernelgen-compare"
mkdir -p "$work"
echo "compare.sh: building (dotnet build src/KernelGen.Cli -c Release, gcc gemm.c)" >&2
dotnet build "$root/src/KernelGen.Cli" -c Release -nologo -v q >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
dnnl_flags=(-DWITH_DNNL -ldnnl)
if ! gcc -O2 -march=native -o "$work/gemm" "$here/gemm.c" -lopenblas "${dnnl_flags[@]}" 2>"$work/gcc.log"; then
  echo "compare.sh: oneDNN did not link ($(head -1 "$work/gcc.log")); OpenBLAS only" >&2
  gcc -O2 -march=native -o "$work/gemm" "$here/gemm.c" -lopenblas
fi

# 3. Run, one after the other, pinned, one thread each.
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 DNNL_VERBOSE=0
if [ "$scaling" = 1 ]; then
  # Issue 6: the same step and inference on 1 and 2 threads, both on cores 0-1 (nothing else should run meanwhile).
  out="$work/scaling.tsv"
  : >"$out"
  for t in 1 2; do
    echo "compare.sh: kernelgen, $t thread(s)" >&2
    taskset -c 0,1 dotnet "$root/src/KernelGen.Cli/bin/Release/net10.0/KernelGen.Cli.dll" compare --threads "$t" $quick | sed "s/^kernelgen/kernelgen_$t/" >>"$out"
    echo "compare.sh: pytorch, $t thread(s)" >&2
    OMP_NUM_THREADS=$t taskset -c 0,1 "$py" "$here/torch_fashion.py" --threads "$t" $quick | sed "s/^pytorch/pytorch_$t/" >>"$out"
  done
  [ -z "$raw" ] || cp "$out" "$raw"
  "$py" - "$out" <<'PY'
import sys, collections
us = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    if line.startswith("#"): continue
    impl, op, batch, v = line.split("\t")
    us[(op, int(batch))][impl] = float(v)
print("Scaling, FashionMlp, cores 0-1: µs for 1 and 2 threads, speed-up = 1-thread µs / 2-thread µs")
print("| op         | batch | KernelGen 1 | KernelGen 2 | speed-up | PyTorch 1 | PyTorch 2 | speed-up | KernelGen 2 vs PyTorch 2 |")
for op in ("train_step", "predict"):
    for b in (1, 32, 128, 256):
        d = us.get((op, b), {})
        k1, k2, p1, p2 = (d.get(k) for k in ("kernelgen_1", "kernelgen_2", "pytorch_1", "pytorch_2"))
        if k1 is None: continue
        f = lambda x: f"{x:11.1f}" if x is not None else "        n/a"
        r = lambda a, c: f"{a / c:8.2f}" if a and c else "     n/a"
        print(f"| {op:<10} | {b:5} | {f(k1)} | {f(k2)} | {r(k1, k2)} | {f(p1)} | {f(p2)} | {r(p1, p2)} | {r(p2, k2):>24} |")
PY
  exit 0
fi
out="$work/results.tsv"
: >"$out"
echo "compare.sh: kernelgen (core $core)" >&2
"${pin[@]}" dotnet "$root/src/KernelGen.Cli/bin/Release/net10.0/KernelGen.Cli.dll" compare $quick >>"$out"
echo "compare.sh: pytorch" >&2
"${pin[@]}" "$py" "$here/torch_fashion.py" $quick >>"$out"
echo "compare.sh: openblas, onednn" >&2
"${pin[@]}" "$work/gemm" $quick >>"$out"
[ -z "$raw" ] || cp "$out" "$raw"

# 4. One table.
"$py" - "$out" "${quick:-full}" <<'PY'
import sys, collections
path, mode = sys.argv[1], sys.argv[2].lstrip("-")
us, notes = collections.defaultdict(dict), []
for line in open(path):
    if line.startswith("#"):
        notes.append(line.strip()); continue
    impl, op, batch, v = line.split("\t")
    us[(op, int(batch))][impl] = float(v)
peers = ["pytorch", "openblas", "onednn"]
peers = [p for p in peers if any(p in d for d in us.values())]
batches = (1, 32, 128, 256)
gemms = sorted({op for op, _ in us if op.startswith("gemm.")}, key=lambda o: (o.split(".")[1], ["fwd", "dW", "dX"].index(o.split(".")[2])))
for b in batches:  # sums: the 3 forward GEMMs (inference) and all 8 (a training step)
    for name, sel in (("gemm.sum.forward", [g for g in gemms if g.endswith("fwd")]), ("gemm.sum.step", gemms)):
        for impl in ["kernelgen"] + peers:
            vals = [us[(g, b)].get(impl) for g in sel]
            if vals and all(v is not None for v in vals):
                us[(name, b)][impl] = sum(vals)
rows = ["train_step", "predict"] + gemms + ["gemm.sum.forward", "gemm.sum.step"]
print(f"KernelGen vs peers, FashionMlp 784-256-128-10, one thread on core {__import__('os').environ.get('KG_CORE', '0')}, {mode} mode")
for n in notes: print(n)
peak = us.get(("fma_peak_gflops", 0), {}).get("kernelgen"); bw = us.get(("triad_gbps", 0), {}).get("c")
if peak: print(f"# measured FMA peak {peak:.1f} GFLOP/s/core (kernelgen compare), triad bandwidth {bw or 0:.1f} GB/s (one core)")
print("# ratio = peer µs / KernelGen µs (> 1: KernelGen faster); n/a: batch norm cannot train on one row")
head = ["op", "batch", "KernelGen µs"] + sum(([f"{p} µs", f"×{p}"] for p in peers), [])
table = [head]
for op in rows:
    for b in batches:
        d = us.get((op, b))
        if d is None:
            if op == "train_step": table.append([op, str(b), "n/a"] + ["n/a", ""] * len(peers))
            continue
        kg = d.get("kernelgen")
        r = [op, str(b), f"{kg:.2f}" if kg else "-"]
        for p in peers:
            v = d.get(p)
            r += [f"{v:.2f}" if v else "-", f"{v / kg:.2f}" if v and kg else ""]
        table.append(r)
w = [max(len(r[i]) for r in table) for i in range(len(head))]
for i, r in enumerate(table):
    print("| " + " | ".join(c.ljust(w[j]) if j < 2 else c.rjust(w[j]) for j, c in enumerate(r)) + " |")
    if i == 0: print("|" + "|".join("-" * (w[j] + 1) + (":" if j >= 2 else "-") for j in range(len(head))) + "|")
PY
