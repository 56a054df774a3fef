#!/usr/bin/env bash
# assets/diagnose-screenshot.sh — takes assets/diagnose.png: the window connected to a vsftpd
# on loopback that announces another loopback address (127.0.0.2, where nothing listens) in
# its PASV replies, with Server > Diagnose connection open, under Xvfb, through the steering
# repo's gui-shot tool (../shared/tools/gui-shot.sh). The clicks are the menu's place in a
# 1200x800 window.   Run as root (vsftpd chroots):   sudo bash assets/diagnose-screenshot.sh
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$(realpath -m "${1:-$REPO/assets/diagnose.png}")"
# shellcheck source=shot-lib.sh
source "$REPO/assets/shot-lib.sh"

mkdir -p "$WORK/root/pub" "$WORK/local" "$WORK/config" "$WORK/data"
printf 'hello\n' > "$WORK/root/pub/readme.txt"
chown -R skiffftp:skiffftp "$WORK/root"
# TLS, trusted in the fresh config: Quickconnect tries TLS first.
demo_tls "$WORK"
demo_trust "$WORK/config" 2122
VSFTPD_EXTRA="pasv_address=127.0.0.2
$TLS_EXTRA" start_vsftpd "$WORK" 2122 30100 30109
cd "$WORK/local"
HOME="$WORK/local" XDG_CONFIG_HOME="$WORK/config" XDG_DATA_HOME="$WORK/data" \
  "$SHOT" "$OUT" --size 1200x800 --wait 4 --click 195,12 --click 250,94 --after-click 12 -- \
  "$REPO/target/debug/skiff" "ftp://skiffftp:skiffftp@127.0.0.1:2122/"
echo "screenshot: wrote $OUT"
