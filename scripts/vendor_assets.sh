#!/usr/bin/env bash
# Re-vendor the front-end assets from the npm registry (run by a developer, not at install:
# the built files are committed so the product never needs a CDN or npm at run time).
# htmx 2 comes with django-htmx (static/django_htmx/htmx-2.min.js).
set -euo pipefail
dest="$(cd "$(dirname "$0")/.." && pwd)/keyprojects/static/vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent @tabler/core@1.6.1 echarts@5.6.0 >/dev/null
for tgz in *.tgz; do mkdir -p "${tgz%.tgz}"; tar xzf "$tgz" -C "${tgz%.tgz}"; done
mkdir -p "$dest"
cp tabler-core-1.6.1/package/dist/css/tabler.min.css "$dest/"
cp tabler-core-1.6.1/package/dist/js/tabler.min.js "$dest/"
cp echarts-5.6.0/package/dist/echarts.min.js "$dest/"
# The source maps are not shipped: drop their references, or hashed static storage fails.
sed -i -E 's@/[*/]# sourceMappingURL=[^ *]+( \*/)?@@' "$dest"/tabler.min.css "$dest"/tabler.min.js "$dest"/echarts.min.js
ls -la "$dest"
