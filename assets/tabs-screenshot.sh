#!/usr/bin/env bash
# assets/tabs-screenshot.sh — takes assets/tabs.png: the window connected to a vsftpd on
# loopback (the files of compare-screenshot.sh) in its first tab, a second tab opened with
# the tab bar's "+" and the first one shown again (CLICKS, 1280×800), and the message log's
# "This tab only" switch.
# Run as root:   sudo bash assets/tabs-screenshot.sh [OUT_DIR]
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT_DIR="$(realpath -m "${1:-$REPO/assets}")"
CLICKS=${CLICKS-"217,181 85,181"}
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
  "$SHOT" "$OUT_DIR/tabs.png" --size 1280x800 --wait 4 "${clicks[@]}" --after-click 2 -- \
  "$REPO/target/debug/skiff" "ftp://skiffftp:skiffftp@127.0.0.1:2121/www"
echo "screenshot: wrote $OUT_DIR/tabs.png"
