#!/usr/bin/env bash
# Makes TorchSharp 0.107's libLibTorchSharp.so load on a libstdc++ older than GCC 13's (Debian 12: GLIBCXX_3.4.30):
# in the build output DIR only (the NuGet cache is never touched), every copy of libLibTorchSharp.so gets
#   1. the version of its one GLIBCXX_3.4.32 symbol, std::ios_base_library_init(), cleared (patchelf),
#   2. that requirement renamed to GLIBCXX_3.4.30 (relax_version.py),
#   3. a NEEDED entry for libkgglibcxxshim.so (ios_base_library_init.c), built here with gcc and placed beside it.
# What TorchSharp and libtorch compute is unchanged (see ios_base_library_init.c). A libstdc++ that already has
# GLIBCXX_3.4.32 gets nothing. Idempotent. Needs gcc, python3 and patchelf (installed with apt-get when root).
set -euo pipefail
dir=${1:?usage: patch.sh BUILD_OUTPUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
libstdcxx=$(gcc -print-file-name=libstdc++.so.6)
[ -f "$libstdcxx" ] || libstdcxx=/usr/lib/x86_64-linux-gnu/libstdc++.so.6
if grep -qa "GLIBCXX_3.4.32" "$libstdcxx"; then echo "torchsharp-patch: $libstdcxx has GLIBCXX_3.4.32, nothing to do"; exit 0; fi
if ! command -v patchelf >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq patchelf >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq patchelf >/dev/null)
  else
    echo "torchsharp-patch: patchelf is missing (apt-get install patchelf)"; exit 1
  fi
fi
found=0
while IFS= read -r lib; do
  found=1
  d=$(dirname "$lib")
  gcc -shared -fPIC -O2 -o "$d/libkgglibcxxshim.so" "$here/ios_base_library_init.c" -lstdc++
  # (whole outputs captured first: grep -q closing a pipe early would fail the pipeline under pipefail)
  symbols=$(objdump -T "$lib"); versions=$(readelf -V "$lib"); needed=$(patchelf --print-needed "$lib")
  if grep -q "(GLIBCXX_3.4.32)" <<<"$symbols"; then patchelf --clear-symbol-version _ZSt21ios_base_library_initv "$lib"; fi
  if grep -q "GLIBCXX_3.4.32" <<<"$versions"; then python3 "$here/relax_version.py" "$lib" GLIBCXX_3.4.32 GLIBCXX_3.4.30; fi
  grep -qx libkgglibcxxshim.so <<<"$needed" || patchelf --add-needed libkgglibcxxshim.so "$lib"
  newest=$(strings -a "$libstdcxx" | grep -o 'GLIBCXX_3\.4\.[0-9]*' | sort -t. -k3 -n | tail -n 1)
  echo "torchsharp-patch: $lib patched for $(basename "$libstdcxx") ($newest)"
done < <(find "$dir" -name libLibTorchSharp.so)
[ "$found" = 1 ] || { echo "torchsharp-patch: no libLibTorchSharp.so under $dir"; exit 1; }
