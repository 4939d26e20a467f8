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
rm -rf bootstrap bootstrap-icons htmx fullcalendar chartjs trix
mkdir -p "$out/bootstrap" "$out/bootstrap-icons/fonts" "$out/htmx" "$out/fullcalendar/locales" "$out/chartjs" "$out/trix"
cp "$m/bootstrap/dist/css/bootstrap.min.css" "$m/bootstrap/dist/css/bootstrap.min.css.map" "$out/bootstrap/"
cp "$m/bootstrap/dist/js/bootstrap.bundle.min.js" "$m/bootstrap/dist/js/bootstrap.bundle.min.js.map" "$out/bootstrap/"
cp "$m/bootstrap/LICENSE" "$out/bootstrap/LICENSE"
cp "$m/bootstrap-icons/font/bootstrap-icons.min.css" "$out/bootstrap-icons/"
cp "$m/bootstrap-icons/font/fonts/bootstrap-icons.woff2" "$m/bootstrap-icons/font/fonts/bootstrap-icons.woff" "$out/bootstrap-icons/fonts/"
cp "$m/bootstrap-icons/LICENSE" "$out/bootstrap-icons/LICENSE"
cp "$m/htmx.org/dist/htmx.min.js" "$out/htmx/"
cp "$m/htmx.org/LICENSE" "$out/htmx/LICENSE"
# FullCalendar standard bundle (core + daygrid, timegrid, list, multimonth, interaction; CSS is injected by the JS)
# and the Finnish locale (English is built in); both define/extend the global `FullCalendar`.
cp "$m/fullcalendar/index.global.min.js" "$out/fullcalendar/fullcalendar.global.min.js"
cp "$m/@fullcalendar/core/locales/fi.global.min.js" "$out/fullcalendar/locales/"
cp "$m/fullcalendar/LICENSE.md" "$out/fullcalendar/LICENSE.md"
# Chart.js UMD build (global `Chart`) and the date-fns time-axis adapter, bundle build (date-fns inlined); load after it.
cp "$m/chart.js/dist/chart.umd.min.js" "$m/chart.js/dist/chart.umd.min.js.map" "$out/chartjs/"
cp "$m/chart.js/LICENSE.md" "$out/chartjs/LICENSE.md"
cp "$m/chartjs-adapter-date-fns/dist/chartjs-adapter-date-fns.bundle.min.js" "$out/chartjs/"
cp "$m/chartjs-adapter-date-fns/LICENSE.md" "$out/chartjs/LICENSE-chartjs-adapter-date-fns.md"
# Trix rich text editor, UMD build (global `Trix`, DOMPurify bundled in) and its stylesheet. Trix adds a <style>
# element for its custom elements, with the page's nonce (meta csp-nonce), so CSP needs no exception.
cp "$m/trix/dist/trix.umd.min.js" "$m/trix/dist/trix.umd.min.js.map" "$m/trix/dist/trix.css" "$out/trix/"
cp "$m/trix/LICENSE" "$out/trix/LICENSE"
cp "$m/dompurify/LICENSE" "$out/trix/LICENSE-dompurify"
node -e 'const p=require("./package.json").devDependencies; console.log(Object.entries(p).map(([k,v])=>k+"@"+v).join("\n"))' > "$out/VERSIONS"
echo "vendored into $out:"; cat "$out/VERSIONS"
