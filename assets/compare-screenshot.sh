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
# shellcheck disable=SC2086 # CLICK: one X,Y, or none
shoot_connected compare.png "$local_dir" 2121 30000 30009 $CLICK
