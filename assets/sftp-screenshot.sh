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
SSHD="$CACHE/usr/sbin/sshd"
PORT=2222

mkdir -p /run/sshd "$WORK/root/www" "$WORK/local" "$WORK/config" "$WORK/data"
printf 'hello\n' > "$WORK/root/www/index.html"
chown -R skiffftp:skiffftp "$WORK/root"
ssh-keygen -q -t ed25519 -N '' -f "$WORK/host_ed25519"
cat > "$WORK/sshd_config" <<CONF
Port $PORT
ListenAddress 127.0.0.1
HostKey $WORK/host_ed25519
PidFile none
UsePAM yes
PasswordAuthentication yes
AllowUsers skiffftp
Subsystem sftp internal-sftp
ForceCommand internal-sftp
CONF
setsid "$SSHD" -D -e -f "$WORK/sshd_config" > "$WORK/sshd.out" 2>&1 &
SSHD_PID=$!
trap 'kill -- -$SSHD_PID 2>/dev/null || kill $SSHD_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break
  sleep 0.05
done
cd "$WORK/local"
HOME="$WORK/local" XDG_CONFIG_HOME="$WORK/config" XDG_DATA_HOME="$WORK/data" SSH_AUTH_SOCK= \
  "$SHOT" "$OUT" --size 1200x800 --wait 5 -- \
  "$REPO/target/debug/skiff" "sftp://skiffftp:skiffftp@127.0.0.1:$PORT$WORK/root/www"
echo "screenshot: wrote $OUT"
