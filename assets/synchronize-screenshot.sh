#!/usr/bin/env bash
# assets/synchronize-screenshot.sh — takes assets/synchronize.png: the window connected to a
# vsftpd on loopback whose folder is an older copy of the local one (the files of
# compare-screenshot.sh), with Transfer > Synchronize's preview of an upload that deletes what
# is only on the server (CLICKS: the menu, the item, Upload twice, since the window's first
# frame only sizes it, Delete, Compare…; 1280×800).
# Run as root:   sudo bash assets/synchronize-screenshot.sh [OUT_DIR]
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT_DIR="$(realpath -m "${1:-$REPO/assets}")"
CLICKS=${CLICKS-"140,12 165,71 185,333 185,333 185,515 127,547"}
# shellcheck source=shot-lib.sh
source "$REPO/assets/shot-lib.sh"

demo_www_trees
# Explicit TLS with a self-signed certificate, trusted in the window's fresh config.
demo_tls "$WORK"
VSFTPD_EXTRA="$TLS_EXTRA"
start_vsftpd "$WORK" 2121 30000 30009
cd "$local_dir"
rm -rf "$WORK/config" "$WORK/data"
demo_trust "$WORK/config" 2121
clicks=()
for c in $CLICKS; do clicks+=(--click "$c"); done
HOME="$local_dir" XDG_CONFIG_HOME="$WORK/config" XDG_DATA_HOME="$WORK/data" \
  SKIFF_WINDOW_SIZE=1280x800 \
  "$SHOT" "$OUT_DIR/synchronize.png" --size 1280x800 --wait 4 "${clicks[@]}" --after-click 2 -- \
  "$REPO/target/debug/skiff" "ftp://skiffftp:skiffftp@127.0.0.1:2121/www"
echo "screenshot: wrote $OUT_DIR/synchronize.png"
