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
# shellcheck disable=SC2086 # CLICKS: X,Y pairs separated by spaces
shoot_connected synchronize.png "$local_dir" 2121 30000 30009 $CLICKS
