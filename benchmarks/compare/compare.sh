#!/usr/bin/env bash
# KernelGen vs ONNX Runtime, TorchSharp, PyTorch, oneDNN and OpenBLAS on FashionMlp, on this machine, in one run,
# one thread pinned to one core.
#
#   bash benchmarks/compare/compare.sh [--quick] [--raw FILE]
#   bash benchmarks/compare/compare.sh --scaling [--quick]   # 1 vs 2 threads (cores 0-1): KernelGen and PyTorch
#
# Runs, one after the other, each pinned with taskset to core $KG_CORE (default 0):
#   - kernelgen compare       : FashionMlp TrainStep / Predict and every dense layer's GEMMs (src/KernelGen.Cli/CompareCommand.cs)
#   - KernelGen.Peers time    : ONNX Runtime 1.32 Predict (KernelGen's ONNX export) and TorchSharp 0.107 Predict and TrainStep,
#                               each checked against KernelGen's Predict (1e-5) first (benchmarks/KernelGen.Peers/TimeCommand.cs)
#                               — and the same for GeluMlp (GELU/SiLU; rows gelu.*, KernelGen timed in that process)
#   - torch_fashion.py        : the identical network in PyTorch (Debian python3-torch, torch.set_num_threads(1))
#   - gemm.c                  : the same GEMM shapes through OpenBLAS cblas_sgemm and oneDNN dnnl_sgemm, and a triad (GB/s)
# then prints one table of microseconds and ratios (peer µs / KernelGen µs: above 1 means KernelGen is faster), with
# n/a where a peer has no such row and "not run" (and why) where a peer could not run here.
# --quick: shorter timing loops; the full mode is what docs/benchmarks.md quotes.
# Installs the Debian packages it needs when they are missing (needs root or sudo). Needs the .NET 10 SDK; the .NET
# peers' packages (TorchSharp-cpu brings ~480 MB of libtorch) come from NuGet on the first build.
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
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
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
  grep -q "install ok installed" <<<"$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" || need+=("$p")
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
# The .NET peers (outside the solution): its build runs eng/torchsharp/patch.sh on its output, as eng/test-peers.sh
# relies on (TorchSharp 0.107's libLibTorchSharp.so made loadable on a libstdc++ older than GCC 13's).
peers_dll="$root/benchmarks/KernelGen.Peers/bin/Release/net10.0/linux-x64/KernelGen.Peers.dll"
peers_built=1
if [ "$scaling" = 0 ]; then  # (--scaling times KernelGen and PyTorch only)
  echo "compare.sh: building the .NET peers (dotnet build benchmarks/KernelGen.Peers -c Release)" >&2
  rm -f "$peers_dll"
  dotnet build "$root/benchmarks/KernelGen.Peers/KernelGen.Peers.csproj" -c Release -nologo -v q >"$work/peers-build.log" 2>&1 || peers_built=0
  [ "$peers_built" = 1 ] || echo "compare.sh: the peers project did not build cleanly (see $work/peers-build.log)" >&2
fi
dnnl_why=""
dnnl_flags=(-DWITH_DNNL -ldnnl)
if ! gcc -O2 -march=native -o "$work/gemm" "$here/gemm.c" -lopenblas "${dnnl_flags[@]}" 2>"$work/gcc.log"; then
  echo "compare.sh: oneDNN did not link ($(head -1 "$work/gcc.log")); OpenBLAS only" >&2
  dnnl_why="gemm.c did not link with -ldnnl ($(head -1 "$work/gcc.log" | cut -c1-200))"
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
echo "# host load average (1/5/15 min) before the runs: $(cut -d' ' -f1-3 /proc/loadavg), $(getconf _NPROCESSORS_ONLN) CPUs online" >>"$out"
[ -z "$dnnl_why" ] || echo "#! onednn unavailable: $dnnl_why" >>"$out"
echo "compare.sh: kernelgen (core $core)" >&2
"${pin[@]}" dotnet "$root/src/KernelGen.Cli/bin/Release/net10.0/KernelGen.Cli.dll" compare $quick >>"$out"
echo "compare.sh: onnxruntime, torchsharp (KernelGen.Peers time)" >&2
if [ -f "$peers_dll" ]; then
  [ "$peers_built" = 1 ] || echo "# the peers project's build reported errors ($work/peers-build.log); its binary ran anyway" >>"$out"
  rc=0
  "${pin[@]}" dotnet "$peers_dll" time $quick >"$work/peers.tsv" 2>"$work/peers.err" || rc=$?
  cat "$work/peers.tsv" >>"$out"
  if [ "$rc" != 0 ]; then
    for p in onnxruntime torchsharp; do
      grep -q "^$p"$'\t' "$work/peers.tsv" || grep -q "^#! $p " "$work/peers.tsv" ||
        echo "#! $p unavailable: KernelGen.Peers time exited with $rc ($(grep -m1 -v '^ *at ' "$work/peers.err" | cut -c1-200))" >>"$out"
    done
  fi
else
  why="the peers project did not build ($(grep -m1 -E 'error' "$work/peers-build.log" | cut -c1-200); log: $work/peers-build.log)"
  echo "#! onnxruntime unavailable: $why" >>"$out"
  echo "#! torchsharp unavailable: $why" >>"$out"
fi
echo "compare.sh: pytorch" >&2
"${pin[@]}" "$py" "$here/torch_fashion.py" $quick >>"$out"
echo "compare.sh: openblas, onednn" >&2
"${pin[@]}" "$work/gemm" $quick >>"$out"
echo "# host load average (1/5/15 min) after the runs: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the pinned core inflates every figure)" >>"$out"
[ -z "$raw" ] || cp "$out" "$raw"

# 4. One table.
"$py" - "$out" "${quick:-full}" <<'PY'
import sys, os, collections
path, mode = sys.argv[1], sys.argv[2].lstrip("-")
us, notes, missing, nbytes = collections.defaultdict(dict), [], {}, collections.defaultdict(dict)
for line in open(path):
    line = line.rstrip("\n")
    if line.startswith("#! "):  # '#! PEER unavailable: WHY'
        peer, _, why = line[3:].partition(" unavailable: ")
        missing[peer] = why; continue
    if line.startswith("#"):
        notes.append(line.strip()); continue
    f = line.split("\t")
    if len(f) != 4: continue
    impl, op, batch, v = f
    if op.startswith("managed_bytes."):
        nbytes[(impl, op[len("managed_bytes."):])][int(batch)] = float(v); continue
    us[(op, int(batch))][impl] = float(v)
peers = ["onnxruntime", "torchsharp", "pytorch", "onednn", "openblas"]
for p in peers:  # never silently dropped: a peer with no rows and no reason says so too
    if p not in missing and not any(p in d for d in us.values()):
        missing[p] = "it printed no rows (see the compare.sh log above)"
batches = (1, 32, 128, 256)
gemms = sorted({op for op, _ in us if op.startswith("gemm.")}, key=lambda o: (o.split(".")[1], ["fwd", "dW", "dX"].index(o.split(".")[2])))
for b in batches:  # sums: the 3 forward GEMMs (inference) and all 8 (a training step)
    for name, sel in (("gemm.sum.forward", [g for g in gemms if g.endswith("fwd")]), ("gemm.sum.step", gemms)):
        for impl in ["kernelgen"] + peers:
            vals = [us[(g, b)].get(impl) for g in sel]
            if vals and all(v is not None for v in vals):
                us[(name, b)][impl] = sum(vals)
# FLOPs of each row's GEMMs (2·batch·in·out each): FashionMlp 784-256-128-10; predict = the 3 forward GEMMs,
# train_step = all 8 (fc1 has no dX), so its % of peak is the GEMM work only.
shape = {"fc1": (784, 256), "fc2": (256, 128), "fc3": (128, 10)}
def flops(op, b):
    if op.startswith("gelu."): op = op[len("gelu."):]  # GeluMlp has FashionMlp's dense shapes
    if op.startswith("gemm.fc"):
        i, o = shape[op.split(".")[1]]; return 2.0 * b * i * o
    fwd = sum(2.0 * b * i * o for i, o in shape.values())
    if op in ("predict", "gemm.sum.forward"): return fwd
    if op in ("train_step", "gemm.sum.step"): return 3 * fwd - 2.0 * b * 784 * 256
    return None
rows = ["train_step", "predict"] + gemms + ["gemm.sum.forward", "gemm.sum.step", "gelu.train_step", "gelu.predict"]
print(f"KernelGen vs peers, FashionMlp 784-256-128-10, one thread on core {os.environ.get('KG_CORE', '0')}, {mode} mode, one run")
for n in notes: print(n)
for p in peers:
    if p in missing: print(f"# {p}: not run here: {missing[p]}")
peak = us.get(("fma_peak_gflops", 0), {}).get("kernelgen"); bw = us.get(("triad_gbps", 0), {}).get("c")
if peak: print(f"# measured FMA peak {peak:.1f} GFLOP/s/core (kernelgen compare), triad bandwidth {bw or 0:.1f} GB/s (one core)")
rd = us.get(("weights_read", 1), {}).get("kernelgen"); rg = us.get(("weights_read_gbps", 1), {}).get("kernelgen")
p1 = us.get(("predict", 1), {})
if rd and rg:  # the floor under a one-row Predict: it reads every weight once (kernelgen compare, WeightsRead.cs)
    ort = f", ONNX Runtime's ÷ 2.5 = {p1['onnxruntime'] / 2.5:.2f} µs" if "onnxruntime" in p1 else ""
    kg1 = f"; KernelGen's one-row Predict {p1['kernelgen']:.2f} µs = {p1['kernelgen'] / rd:.2f}× that{ort}" if "kernelgen" in p1 else ""
    print(f"# reading FashionMlp's parameters once (one aligned Vector512 stream, {rg * rd * 1e3 / 1024:.0f} KiB, L2-resident): {rd:.2f} µs, {rg:.0f} GB/s{kg1}")
kp = {op: "/".join(f"{us[(op, b)]['kernelgen_peers']:.1f}" for b in batches if "kernelgen_peers" in us.get((op, b), {})) for op in ("predict", "train_step")}
if kp["predict"]: print(f"# KernelGen timed again inside the .NET peers' process (same-process reference): predict 1/32/128/256 = {kp['predict']} µs, train_step 32/128/256 = {kp['train_step']} µs")
for impl in ("kernelgen_peers", "onnxruntime", "torchsharp"):
    parts = [f"{op} " + "/".join(f"{v:.0f}" for _, v in sorted(d.items())) for (i, op), d in sorted(nbytes.items()) if i == impl]
    if parts: print(f"# managed bytes allocated per call, {'kernelgen (peers process)' if impl == 'kernelgen_peers' else impl}: " + "; ".join(parts))
if any(op.startswith("gelu.") for op, _ in us):
    print("# gelu.*: GeluMlp 784-256 GELU-128 SiLU-10, Adam (KernelGen fuses GELU and SiLU into the dense epilogue), timed in the")
    print("#   .NET peers' process, KernelGen included; PyTorch (torch_fashion.py) has no GELU twin: n/a")
print("# ratio ×peer = peer µs / KernelGen µs (> 1: KernelGen faster); n/a: no such row (batch norm cannot train on one row;")
print("#   ONNX Runtime is inference only; the BLAS libraries run only the GEMMs; PyTorch/TorchSharp rows are whole-network);")
print("#   KG %peak: the row's GEMM FLOPs (predict: the 3 forward GEMMs, train_step: all 8) / KernelGen's µs / the measured FMA peak")
head = ["op", "batch", "KernelGen µs", "KG %peak"] + sum(([f"{p} µs", f"×{p}"] for p in peers), [])
table = [head]
for op in rows:
    for b in batches:
        d = us.get((op, b))
        if d is None and op != "train_step": continue
        d = d or {}
        kg = d.get("kernelgen")
        fl = flops(op, b)
        pct = f"{fl / (kg * 1e-6) / (peak * 1e9) * 100:.0f} %" if kg and peak and fl else ""
        r = [op, str(b), f"{kg:.2f}" if kg else "n/a", pct]
        for p in peers:
            v = d.get(p)
            if p in missing and v is None: r += ["not run", ""]
            else: r += [f"{v:.2f}" if v else "n/a", f"{v / kg:.2f}" if v and kg else ""]
        table.append(r)
w = [max(len(r[i]) for r in table) for i in range(len(head))]
for i, r in enumerate(table):
    print("| " + " | ".join(c.ljust(w[j]) if j < 2 else c.rjust(w[j]) for j, c in enumerate(r)) + " |")
    if i == 0: print("|" + "|".join("-" * (w[j] + 1) + (":" if j >= 2 else "-") for j in range(len(head))) + "|")
PY
