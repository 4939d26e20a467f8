#!/usr/bin/env bash
# Copy the pinned npm packages of package.json (beside this script) into static/vendor/. Run after changing a
# version there; the copied files are committed, so `make run` never needs npm or a CDN.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp package.json package-lock.json "$tmp"/
(cd "$tmp" && npm ci --no-audit --no-fund --ignore-scripts 2>/dev/null || npm install --no-audit --no-fund --ignore-scripts)
cp "$tmp/package-lock.json" package-lock.json
m="$tmp/node_modules"
out=.
rm -rf bootstrap bootstrap-icons htmx && mkdir -p "$out/bootstrap" "$out/bootstrap-icons/fonts" "$out/htmx"
cp "$m/bootstrap/dist/css/bootstrap.min.css" "$m/bootstrap/dist/css/bootstrap.min.css.map" "$out/bootstrap/"
cp "$m/bootstrap/dist/js/bootstrap.bundle.min.js" "$m/bootstrap/dist/js/bootstrap.bundle.min.js.map" "$out/bootstrap/"
cp "$m/bootstrap/LICENSE" "$out/bootstrap/LICENSE"
cp "$m/bootstrap-icons/font/bootstrap-icons.min.css" "$out/bootstrap-icons/"
cp "$m/bootstrap-icons/font/fonts/bootstrap-icons.woff2" "$m/bootstrap-icons/font/fonts/bootstrap-icons.woff" "$out/bootstrap-icons/fonts/"
cp "$m/bootstrap-icons/LICENSE" "$out/bootstrap-icons/LICENSE"
cp "$m/htmx.org/dist/htmx.min.js" "$out/htmx/"
cp "$m/htmx.org/LICENSE" "$out/htmx/LICENSE"
node -e 'const p=require("./package.json").devDependencies; console.log(Object.entries(p).map(([k,v])=>k+"@"+v).join("\n"))' > "$out/VERSIONS"
echo "vendored into $out:"; cat "$out/VERSIONS"
