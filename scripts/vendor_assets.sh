#!/usr/bin/env bash
# Vendor the front-end assets (Bootstrap Italia, Leaflet, Leaflet.markercluster,
# axe-core, Chart.js) from node_modules/ into static/vendor/, so the site never
# needs a CDN at run time.  The versions are pinned in package.json and locked in
# package-lock.json; static/vendor/ is committed, node_modules/ is not.
#
# Idempotent: each static/vendor/<package>/ is rebuilt from scratch on every run,
# so running it twice gives the same tree.
#
# What is copied (and what is not):
#   - only the distribution files the site loads, plus each licence file;
#   - no source maps, and the trailing sourceMappingURL comments are stripped
#     (Django's ManifestStaticFilesStorage, used via WhiteNoise, fails
#     collectstatic on a sourceMappingURL pointing to a missing file);
#   - Bootstrap Italia 2.x does NOT reference its fonts from the CSS: the JS
#     bundle injects the @font-face rules (bootstrap.loadFonts()) using
#     window.__PUBLIC_PATH__ as the fonts base URL.  Every font is listed there
#     as woff2, woff, ttf, eot and svg; browsers take the first format they
#     support, so only woff2 (all current browsers) and woff (fallback) are kept.
#     That <style> element is inline CSS, which the portal's Content-Security-Policy
#     refuses: scripts/bootstrap_italia_fonts.py writes the same rules (woff2 and
#     woff only) to bootstrap-italia/css/fonts.css, which base.html links, and
#     loadFonts() is never called.
#
# At the end every url(...) in the copied CSS and every font the bundle's font
# loader asks for (woff2/woff) is checked to exist; the script fails otherwise.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

NM="$ROOT/node_modules"
VENDOR="$ROOT/static/vendor"
PACKAGES=(bootstrap-italia leaflet leaflet.markercluster axe-core chart.js)

# --- 1. node_modules, as locked -------------------------------------------------
need_install=0
if [[ ! -d "$NM" ]]; then
  need_install=1
else
  # Re-install if an installed version differs from the pin in package.json.
  for pkg in "${PACKAGES[@]}"; do
    want="$(node -p "require('./package.json').dependencies['$pkg']")"
    have="$(node -p "try { require('./node_modules/$pkg/package.json').version } catch (e) { '' }")"
    if [[ "$want" != "$have" ]]; then
      echo "node_modules/$pkg is '${have:-missing}', package.json pins '$want'"
      need_install=1
    fi
  done
fi
if [[ "$need_install" == 1 ]]; then
  echo "Running npm ci --ignore-scripts"
  npm ci --ignore-scripts --no-audit --no-fund
fi

# --- helpers ---------------------------------------------------------------------
# copy SRC DEST: copy one file, stripping a trailing sourceMappingURL comment.
copy() {
  local src="$1" dest="$2"
  [[ -f "$src" ]] || { echo "missing: $src" >&2; exit 1; }
  mkdir -p "$(dirname "$dest")"
  case "$dest" in
    *.js | *.css)
      sed -e '/^\/\/# sourceMappingURL=/d' \
          -e 's#/\*\# sourceMappingURL=[^*]*\*/##' "$src" >"$dest"
      ;;
    *)
      cp "$src" "$dest"
      ;;
  esac
}

fresh() { # fresh PKG: (re)create an empty static/vendor/PKG
  rm -rf "${VENDOR:?}/$1"
  mkdir -p "$VENDOR/$1"
}

mkdir -p "$VENDOR"

# --- 2. bootstrap-italia ---------------------------------------------------------
src="$NM/bootstrap-italia"
dst="$VENDOR/bootstrap-italia"
fresh bootstrap-italia
copy "$src/dist/css/bootstrap-italia.min.css" "$dst/css/bootstrap-italia.min.css"
copy "$src/dist/js/bootstrap-italia.bundle.min.js" "$dst/js/bootstrap-italia.bundle.min.js"
copy "$src/dist/svg/sprites.svg" "$dst/svg/sprites.svg"
copy "$src/LICENSE" "$dst/LICENSE"
for dir in "$src"/dist/fonts/*/; do
  family="$(basename "$dir")"
  mkdir -p "$dst/fonts/$family"
  for f in "$dir"*.woff2 "$dir"*.woff "$dir"*.txt; do
    [[ -e "$f" ]] && cp "$f" "$dst/fonts/$family/"
  done
done
python3 "$ROOT/scripts/bootstrap_italia_fonts.py" "$dst/js/bootstrap-italia.bundle.min.js" "$dst/css/fonts.css"

# --- 3. leaflet --------------------------------------------------------------------
src="$NM/leaflet"
dst="$VENDOR/leaflet"
fresh leaflet
copy "$src/dist/leaflet.js" "$dst/leaflet.js"
copy "$src/dist/leaflet.css" "$dst/leaflet.css"
mkdir -p "$dst/images"
cp "$src"/dist/images/* "$dst/images/"
copy "$src/LICENSE" "$dst/LICENSE"

# --- 4. leaflet.markercluster ------------------------------------------------------
src="$NM/leaflet.markercluster"
dst="$VENDOR/leaflet.markercluster"
fresh leaflet.markercluster
copy "$src/dist/leaflet.markercluster.js" "$dst/leaflet.markercluster.js"
copy "$src/dist/MarkerCluster.css" "$dst/MarkerCluster.css"
copy "$src/dist/MarkerCluster.Default.css" "$dst/MarkerCluster.Default.css"
copy "$src/MIT-LICENCE.txt" "$dst/MIT-LICENCE.txt"

# --- 5. axe-core (used by the accessibility tests) -------------------------------
src="$NM/axe-core"
dst="$VENDOR/axe-core"
fresh axe-core
copy "$src/axe.min.js" "$dst/axe.min.js"
copy "$src/LICENSE" "$dst/LICENSE"

# --- 6. chart.js (statistics page) -------------------------------------------------
src="$NM/chart.js"
dst="$VENDOR/chart.js"
fresh chart.js
if [[ -f "$src/dist/chart.umd.js" ]]; then
  copy "$src/dist/chart.umd.js" "$dst/chart.umd.js"
else
  copy "$src/dist/chart.umd.min.js" "$dst/chart.umd.js"
fi
copy "$src/LICENSE.md" "$dst/LICENSE.md"

# --- 7. VERSIONS.txt -----------------------------------------------------------------
{
  echo "# Front-end assets vendored by scripts/vendor_assets.sh from the npm packages"
  echo "# pinned in package.json / package-lock.json. Do not edit by hand."
  echo "# package version licence"
  for pkg in "${PACKAGES[@]}"; do
    node -p "const p = require('./node_modules/$pkg/package.json'); [p.name, p.version, p.license].join(' ')"
  done
} >"$VENDOR/VERSIONS.txt"

# --- 8. check every referenced file exists ----------------------------------------
missing=0
while IFS= read -r -d '' css; do
  cssdir="$(dirname "$css")"
  # url(...) values, quotes removed; data: URIs and #fragments need no file.
  while IFS= read -r ref; do
    [[ -z "$ref" ]] && continue
    case "$ref" in data:* | \#* | http:* | https:* | //*) continue ;; esac
    path="${ref%%[?#]*}"
    if [[ ! -f "$cssdir/$path" ]]; then
      echo "MISSING: ${css#"$ROOT"/} -> url($ref)" >&2
      missing=1
    fi
  done < <(grep -o 'url([^)]*)' "$css" | sed -e 's/^url(//' -e 's/)$//' -e "s/^[\"']//" -e "s/[\"']\$//" | sort -u)
done < <(find "$VENDOR" -name '*.css' -print0)

# Fonts injected by the Bootstrap Italia bundle: url('${__PUBLIC_PATH__}/Family/file.woff2')
bundle="$VENDOR/bootstrap-italia/js/bootstrap-italia.bundle.min.js"
nfonts=0
while IFS= read -r rel; do
  nfonts=$((nfonts + 1))
  if [[ ! -f "$VENDOR/bootstrap-italia/fonts/$rel" ]]; then
    echo "MISSING: bootstrap-italia font fonts/$rel" >&2
    missing=1
  fi
done < <(grep -oE "url\('\\\$\{[a-zA-Z_]+\}/[^']+\.woff2?'\)" "$bundle" | sed -E "s/^url\('\\\$\{[a-zA-Z_]+\}\///; s/'\)\$//" | sort -u)
if [[ "$nfonts" == 0 ]]; then
  echo "WARNING: found no font URL in the Bootstrap Italia bundle's font loader" >&2
fi

if [[ "$missing" != 0 ]]; then
  echo "vendor_assets.sh: some referenced files are missing" >&2
  exit 1
fi

echo "Vendored into ${VENDOR#"$ROOT"/}/ ($(du -sh "$VENDOR" | cut -f1)); url() check OK; $nfonts bootstrap-italia font files OK"
cat "$VENDOR/VERSIONS.txt"
