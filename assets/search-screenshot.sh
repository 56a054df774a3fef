#!/usr/bin/env bash
# assets/search-screenshot.sh — takes assets/search.png: the window connected to a vsftpd on
# loopback serving a small web site with Korean names, with Server > Search remote files
# open and a search for every entry done (CLICKS: the menu, the item, Search; 1280×800).
# Run as root:   sudo bash assets/search-screenshot.sh [OUT_DIR]
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT_DIR="$(realpath -m "${1:-$REPO/assets}")"
CLICKS=${CLICKS-"195,12 250,116"}
# shellcheck source=shot-lib.sh
source "$REPO/assets/shot-lib.sh"

root="$WORK/root/www"
mkdir -p "$root/css" "$root/img/2024" "$root/문서/보고서" "$WORK/local"
printf '<h1>Home</h1>\n' > "$root/index.php"
printf '<?php phpinfo();\n' > "$root/info.php"
printf 'body { margin: 0 }\n' > "$root/css/site.css"
head -c 48213 /dev/urandom > "$root/img/2024/harbour.jpg"
head -c 1200000 /dev/urandom > "$root/img/2024/festival.mp4"
printf '회의록\n' > "$root/문서/보고서/회의록 2024.txt"
printf 'budget\n' > "$root/문서/예산.xlsx"
chown -R skiffftp:skiffftp "$WORK/root"
demo_tls "$WORK"
VSFTPD_EXTRA="$TLS_EXTRA"
start_vsftpd "$WORK" 2123 30200 30209
cd "$WORK/local"
rm -rf "$WORK/config" "$WORK/data"
demo_trust "$WORK/config" 2123
clicks=()
for c in $CLICKS; do clicks+=(--click "$c"); done
HOME="$WORK/local" XDG_CONFIG_HOME="$WORK/config" XDG_DATA_HOME="$WORK/data" \
  SKIFF_WINDOW_SIZE=1280x800 \
  "$SHOT" "$OUT_DIR/search.png" --size 1280x800 --wait 4 "${clicks[@]}" --after-click 2 -- \
  "$REPO/target/debug/skiff" "ftp://skiffftp:skiffftp@127.0.0.1:2123/www"
echo "screenshot: wrote $OUT_DIR/search.png"
