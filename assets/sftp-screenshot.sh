#!/usr/bin/env bash
# assets/sftp-screenshot.sh — takes assets/host-key.png: the window opened on an sftp:// URL
# of an OpenSSH sshd on loopback that it has never seen, showing the "Unknown host key"
# dialog, under Xvfb, through the steering repo's gui-shot tool (../shared/tools/gui-shot.sh).
# Run as root (sshd switches to the user skiffftp):   sudo bash assets/sftp-screenshot.sh
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$(realpath -m "${1:-$REPO/assets/host-key.png}")"
# shellcheck source=shot-lib.sh
source "$REPO/assets/shot-lib.sh"
PORT=2222

mkdir -p "$WORK/root/www" "$WORK/local" "$WORK/config" "$WORK/data"
printf 'hello\n' > "$WORK/root/www/index.html"
chown -R skiffftp:skiffftp "$WORK/root"
start_sshd "$WORK" "$PORT" "UsePAM yes
PasswordAuthentication yes"
cd "$WORK/local"
HOME="$WORK/local" XDG_CONFIG_HOME="$WORK/config" XDG_DATA_HOME="$WORK/data" SSH_AUTH_SOCK= \
  "$SHOT" "$OUT" --size 1200x800 --wait 5 -- \
  "$REPO/target/debug/skiff" "sftp://skiffftp:skiffftp@127.0.0.1:$PORT$WORK/root/www"
echo "screenshot: wrote $OUT"
