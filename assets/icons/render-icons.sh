#!/usr/bin/env bash
# Renders assets/icons/skiff.svg into the PNG sizes desktops ask for (needs librsvg2-bin).
# The PNGs are committed, so building Skiff never needs this.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
for size in 16 24 32 48 64 128 256 512; do
  rsvg-convert -w "$size" -h "$size" skiff.svg -o "skiff-$size.png"
done
