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
# shellcheck disable=SC2086 # CLICKS: X,Y pairs separated by spaces
shoot_connected tabs.png "$local_dir" 2121 30000 30009 $CLICKS
