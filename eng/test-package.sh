#!/usr/bin/env bash
# Packs KernelGen and builds + runs tests/PackageConsumer against the .nupkg from a local folder feed,
# with an empty package cache, so the package is tested exactly the way users get it: under the JIT, then
# NativeAOT-published (0 trim/AOT warnings, the package's default instruction set runs Vector256 where the CPU has
# AVX2). Then packs the CLI as a .NET tool and installs it from the same feed (`kernelgen info`).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
suffix=local.$(date +%s)
dotnet pack "$root/src/KernelGen/KernelGen.csproj" -c Release -p:VersionSuffix="$suffix" -o "$work/feed" --nologo -v q
nupkg=$(ls "$work/feed"/KernelGen.*-"$suffix".nupkg)
version=$(basename "$nupkg" .nupkg); version=${version#KernelGen.}
echo "packed: $(ls "$work/feed")"
# What the package page and a user's tools read: the files, the .nuspec's metadata and the symbols.
fail() { echo "package check: $*"; exit 1; }
files=$(unzip -Z1 "$nupkg")
for f in lib/net10.0/KernelGen.dll lib/net10.0/KernelGen.xml analyzers/dotnet/cs/KernelGen.Generators.dll \
         README.md LICENSE THIRD-PARTY-NOTICES.md icon.png; do
  grep -qx "$f" <<<"$files" || fail "the .nupkg lacks $f"
done
nuspec=$(unzip -p "$nupkg" KernelGen.nuspec)
for tag in '<license type="expression">MIT</license>' '<icon>icon.png</icon>' '<readme>README.md</readme>' \
           '<projectUrl>https://' '<releaseNotes>' '<repository type="git" url="https://' 'commit="' "<version>$version</version>"; do
  grep -qF "$tag" <<<"$nuspec" || fail "the .nuspec lacks $tag"
done
# Listings are read into variables before grep -q: under pipefail, grep -q leaving early would SIGPIPE the writer and
# fail (or, after &&, silently pass) the check depending on timing.
readme=$(unzip -p "$nupkg" README.md)
grep -qE '\]\((docs|LICENSE|CHANGELOG)' <<<"$readme" && fail "the package README has relative links"
[ -f "$work/feed/KernelGen.$version.snupkg" ] || fail "no symbol package (.snupkg)"
symbols=$(unzip -Z1 "$work/feed/KernelGen.$version.snupkg")
grep -qx lib/net10.0/KernelGen.pdb <<<"$symbols" || fail "the .snupkg lacks KernelGen.pdb"
echo "package check: files, .nuspec metadata (licence, icon, readme, project/repository URL and commit, release notes) and symbols OK"
cp -r "$root/tests/PackageConsumer" "$work/consumer"
cat > "$work/consumer/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$work/feed" />
  </packageSources>
</configuration>
XML
dotnet run --project "$work/consumer/PackageConsumer.csproj" -c Release -p:KernelGenVersion="$version" \
  --property:RestorePackagesPath="$work/packages" --nologo

echo "--- NativeAOT: publish the consumer against the package"
# The runtime packs and ILC come from the machine's usual sources; KernelGen's unique version from the local feed.
cp -r "$root/tests/PackageConsumer" "$work/consumer-aot"
dotnet publish "$work/consumer-aot/PackageConsumer.csproj" -c Release -r linux-x64 -p:PublishAot=true -p:KernelGenVersion="$version" \
  -p:RestoreAdditionalProjectSources="$work/feed" -o "$work/aot" --nologo > "$work/aot.log" 2>&1 || { cat "$work/aot.log"; fail "AOT publish failed"; }
if grep -E "warning (IL[0-9]+|IL[23][0-9]{3})" "$work/aot.log"; then fail "the AOT publish has trim/AOT warnings"; fi
echo "AOT publish: 0 warnings ($(grep -c "warning" "$work/aot.log" || true) warning lines of any kind)"
"$work/aot/PackageConsumer" | tee "$work/aot-run.txt"
if grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then
  grep -q "kernels Vector256\|kernels Vector512" "$work/aot-run.txt" || fail "the AOT consumer does not run Vector256 on an AVX2 CPU"
fi

echo "--- the CLI as a .NET tool from the same feed"
dotnet pack "$root/src/KernelGen.Cli/KernelGen.Cli.csproj" -c Release -p:VersionSuffix="$suffix" -o "$work/feed" --nologo -v q
dotnet tool install KernelGen.Cli --version "$version" --tool-path "$work/tool" --add-source "$work/feed" > /dev/null
info=$("$work/tool/kernelgen" info)
head -n 2 <<<"$info"
