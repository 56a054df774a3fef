#!/usr/bin/env bash
# assets/screenshot.sh — takes the README's screenshots: the window connected to a vsftpd on
# loopback that serves a small demo tree (with Korean, Japanese and Chinese names), under
# Xvfb, through the steering repo's gui-shot tool (../shared/tools/gui-shot.sh), at 1280×800
# (assets/screenshot.png) and, to check that the layout holds, at 900×600 and 1920×1080
# (assets/screenshot-900x600.png, assets/screenshot-1920x1080.png).
# Run as root (vsftpd chroots):   sudo bash assets/screenshot.sh [OUT_DIR]
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT_DIR="$(realpath -m "${1:-$REPO/assets}")"
# shellcheck source=shot-lib.sh
source "$REPO/assets/shot-lib.sh"

# The demo tree: what a shared folder on a small office server looks like.
root="$WORK/root"
mkdir -p "$root/pub/releases" "$root/photos/2026" "$root/backups" "$root/자료" "$root/書類"
head -c 734003 /dev/urandom > "$root/pub/releases/skiff-0.1.0.tar.gz"
head -c 48213 /dev/urandom > "$root/photos/2026/harbour.jpg"
printf 'Quarterly figures\n' > "$root/한글 보고서.txt"
head -c 1843200 /dev/urandom > "$root/日本語の資料.pdf"
head -c 96256 /dev/urandom > "$root/中文说明.zip"
head -c 5242880 /dev/urandom > "$root/backups/site-2026-11-30.tar"
printf '# Welcome\n' > "$root/README.md"
chown -R skiffftp:skiffftp "$root"
touch -d '2026-11-28 09:15' "$root"/*.txt "$root"/*.pdf "$root"/*.zip "$root/README.md"

local_dir="$WORK/local"
mkdir -p "$local_dir/Documents" "$local_dir/Pictures" "$local_dir/website"
printf 'hello\n' > "$local_dir/notes.txt"
head -c 20480 /dev/urandom > "$local_dir/invoice-2026-11.pdf"
printf '<h1>Hi</h1>\n' > "$local_dir/website/index.html"

# Explicit TLS with a self-signed certificate, trusted in the window's fresh config below.
demo_tls "$WORK"
VSFTPD_EXTRA="$TLS_EXTRA"
start_vsftpd "$WORK" 2121 30000 30009
cd "$local_dir"
for size in 1280x800 900x600 1920x1080; do
  out="$OUT_DIR/screenshot-$size.png"
  [[ $size == 1280x800 ]] && out="$OUT_DIR/screenshot.png"
  # A fresh config and data folder each time: the window's first run, no saved
  # preferences, the window as large as the screen; the local pane starts in the home
  # folder.
  rm -rf "$WORK/config" "$WORK/data"
  demo_trust "$WORK/config" 2121
  HOME="$local_dir" XDG_CONFIG_HOME="$WORK/config" XDG_DATA_HOME="$WORK/data" \
    SKIFF_WINDOW_SIZE="$size" \
    "$SHOT" "$out" --size "$size" --wait 4 -- \
    "$REPO/target/debug/skiff" "ftp://skiffftp:skiffftp@127.0.0.1:2121/"
  echo "screenshot: wrote $out"
done
