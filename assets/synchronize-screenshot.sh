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
CLICKS=${CLICKS-"140,12 165,71 185,346 185,346 185,502 127,534"}
# shellcheck source=shot-lib.sh
source "$REPO/assets/shot-lib.sh"

root="$WORK/root/www"
local_dir="$WORK/local/www"
mkdir -p "$root/css" "$root/img" "$local_dir/css" "$local_dir/img" "$local_dir/js"
old='2026-11-28 09:15'
for side in "$root" "$local_dir"; do
  printf '<h1>Home</h1>\n' > "$side/index.html"
  printf 'body { margin: 0 }\n' > "$side/css/site.css"
  head -c 48213 /dev/urandom > "$side/img/harbour.jpg"
  printf 'User-agent: *\n' > "$side/robots.txt"
  touch -d "$old" "$side"/index.html "$side"/robots.txt "$side/img/harbour.jpg"
done
printf '<h1>Home</h1>\n<p>New prices</p>\n' > "$local_dir/index.html"   # edited here: newer, larger
printf 'Contact: Mina Park\n' > "$local_dir/contact.html"               # only here
printf '<p>Old offer</p>\n' > "$root/offer-2025.html"                   # only there
printf 'User-agent: *\nDisallow: /tmp\n' > "$root/robots.txt"           # edited there
printf 'body { margin: 2px }\n' > "$root/about.html"
printf 'body { margin: 2px }\n' > "$local_dir/about.html"
touch -d "$old" "$local_dir/about.html"                                 # same size, newer there
printf 'Release notes\n' > "$root/notes.txt"
printf 'Release notes, v2\n' > "$local_dir/notes.txt"
touch -d "$old" "$root/notes.txt" "$local_dir/notes.txt"                # same time, sizes differ
chown -R skiffftp:skiffftp "$WORK/root"
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
