#!/usr/bin/env bash
# assets/compare-screenshot.sh — takes assets/compare.png: the window connected to a vsftpd
# on loopback whose folder is an older copy of the local one, with View > Directory
# comparison on (the toolbar's "⇆ Compare", clicked at CLICK, 1280×800), so both panes show
# every mark and the legend. Run as root:   sudo bash assets/compare-screenshot.sh [OUT_DIR]
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT_DIR="$(realpath -m "${1:-$REPO/assets}")"
CLICK=${CLICK:-945,37}
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
[[ -n $CLICK ]] && clicks=(--click "$CLICK")
HOME="$local_dir" XDG_CONFIG_HOME="$WORK/config" XDG_DATA_HOME="$WORK/data" \
  SKIFF_WINDOW_SIZE=1280x800 \
  "$SHOT" "$OUT_DIR/compare.png" --size 1280x800 --wait 4 "${clicks[@]}" --after-click 2 -- \
  "$REPO/target/debug/skiff" "ftp://skiffftp:skiffftp@127.0.0.1:2121/www"
echo "screenshot: wrote $OUT_DIR/compare.png"
