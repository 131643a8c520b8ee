#!/usr/bin/env bash
# Packs the macro's Lambda zip reproducibly: bootstrap + the default recipe it prints, fixed mtimes
# (TZ=UTC: zip stores local time), fixed modes, sorted entries, no extra fields (-X).
#   usage: lambda/package.sh BOOTSTRAP OUT.zip [PRINTER]
# PRINTER (default BOOTSTRAP) is the bootstrap run here to print the default recipe: for a cross-built
# bootstrap (arm64), the host one, which prints the same recipe.
set -euo pipefail
BOOT=$1 OUT=$2 PRINTER=${3:-$1}
STAGE=$(mktemp -d "${TMPDIR:-/tmp}/kilt-lambda-pkg-XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
cp "$BOOT" "$STAGE/bootstrap"
"$PRINTER" --print-default-recipe > "$STAGE/recipe.toml"
chmod 0755 "$STAGE/bootstrap"
chmod 0644 "$STAGE/recipe.toml"
TZ=UTC touch -d '2020-01-01 00:00:00' "$STAGE/bootstrap" "$STAGE/recipe.toml"
OUT_ABS=$(realpath -m "$OUT")
rm -f "$OUT_ABS.tmp"
(cd "$STAGE" && TZ=UTC zip -X -D -q -9 "$OUT_ABS.tmp" bootstrap recipe.toml)
mv "$OUT_ABS.tmp" "$OUT_ABS"
