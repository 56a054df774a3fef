#!/usr/bin/env bash
# assets/search-screenshot.sh — takes assets/search.png: the window connected to a vsftpd on
# loopback serving a small web site with Korean names, with Server > Search remote files
# open and a search for every entry done (CLICKS: the menu, the item, Search; 1280×800).
# Run as root:   sudo bash assets/search-screenshot.sh [OUT_DIR]
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT_DIR="$(realpath -m "${1:-$REPO/assets}")"
CLICKS=${CLICKS-"195,12 250,116 58,194"}
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
# shellcheck disable=SC2086 # CLICKS: X,Y pairs separated by spaces
shoot_connected search.png "$WORK/local" 2123 30200 30209 $CLICKS
