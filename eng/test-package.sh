#!/usr/bin/env bash
# Packs KernelGen and builds + runs tests/PackageConsumer against the .nupkg from a local folder feed,
# with an empty package cache, so the package is tested exactly the way users get it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
version=0.1.0-local.$(date +%s)
dotnet pack "$root/src/KernelGen/KernelGen.csproj" -c Release -p:Version="$version" -o "$work/feed" --nologo -v q
echo "packed: $(ls "$work/feed")"
unzip -l "$work/feed/KernelGen.$version.nupkg" | grep -E "lib/net10.0/KernelGen.dll|analyzers/dotnet/cs/KernelGen.Generators.dll" \
  || { echo "package lacks the library or the generator"; exit 1; }
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
