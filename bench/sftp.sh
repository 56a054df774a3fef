#!/usr/bin/env bash
# bench/sftp.sh [RUNS] [CASES] — SFTP over loopback with OpenSSH's sshd: skiff against
# OpenSSH's own `sftp` (and `scp`, which speaks SFTP too since OpenSSH 9), each with its
# default cipher, both logging on with the same ed25519 key.
#
# CASES is a comma-separated subset of get,put,tree (default: all): a 1 GiB file down and
# up, and 1,000 files of 4 KiB down (`skiff get -r --parallel 4` against `sftp -r`). Each
# case alternates which client goes first, RUNS times (default 5); the medians, the ratios
# and skiff's peak RSS (GNU time) go to stdout, one `case` line each for bench/all.sh.
# Needs root (sshd switches to the user skiffftp) and tests/servers/install.sh. Not a test:
# nothing here asserts a time.
set -euo pipefail
RUNS=${1:-5}
CASES=${2:-get,put,tree}
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/bench/lib.sh"
WORK="$REPO/bench/work-sftp"
PORT=${BENCH_SSH_PORT:-31022}
SIZE=1073741824

bench_prepare
[[ -x $CACHE/usr/sbin/sshd ]] || bash "$REPO/tests/servers/install.sh"
mkdir -p "$WORK/root" "$WORK/out" "$WORK/home"
chown "$USER_NAME" "$WORK/root"
chmod 755 "$WORK"
if [[ ! -f $WORK/root/big.bin ]] || [[ $(stat -c %s "$WORK/root/big.bin") -ne $SIZE ]]; then
  echo "bench: creating a 1 GiB random file" >&2
  head -c $SIZE /dev/urandom > "$WORK/root/big.bin"
  chown "$USER_NAME" "$WORK/root/big.bin"
fi
if [[ ! -d $WORK/root/tree ]]; then
  echo "bench: creating 1,000 files of 4 KiB in 10 folders" >&2
  for d in $(seq 0 9); do
    mkdir -p "$WORK/root/tree/d$d"
    for f in $(seq 0 99); do head -c 4096 /dev/urandom > "$WORK/root/tree/d$d/f$f.bin"; done
  done
  chown -R "$USER_NAME" "$WORK/root/tree"
fi
rm -f "$WORK/id_ed25519" "$WORK/id_ed25519.pub"
ssh-keygen -q -t ed25519 -N '' -f "$WORK/id_ed25519"
cp "$WORK/id_ed25519.pub" "$WORK/authorized_keys"
chmod 644 "$WORK/authorized_keys"
start_sshd "$WORK" "$PORT" "UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile $WORK/authorized_keys
StrictModes no"
FINGERPRINT=$HOST_FINGERPRINT

# skiff's settings and known hosts stay inside the work folder; no agent, no ~/.ssh keys.
export HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/home/.config" XDG_DATA_HOME="$WORK/home/.local/share"
unset SSH_AUTH_SOCK
SSH_OPTS=(-q -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
  -i "$WORK/id_ed25519" -P "$PORT")
SKIFF_OPTS=(--key-file "$WORK/id_ed25519" --trust-host-key "$FINGERPRINT")
URL="sftp://$USER_NAME@127.0.0.1:$PORT$WORK/root"
OUT="$WORK/out"

check() {  # check PATH WHO: the copy is complete
  case $1 in
    *tree) [[ $(find "$1" -type f | wc -l) -eq 1000 ]] ;;
    *) [[ -f $1 && $(stat -c %s "$1") -eq $SIZE ]] ;;
  esac || { echo "bench: $2 left an incomplete copy at $1" >&2; exit 1; }
}
clean() { rm -rf "$OUT/big.bin" "$OUT/tree" "$WORK/root/up.bin"; mkdir -p "$OUT"; sync; }

run_case() {  # run_case NAME
  local name=$1 peer_t=() scp_t=() skiff_t=()
  rss_max=0
  one_peer() {
    clean
    case $name in
      get) timed peer_t sftp "${SSH_OPTS[@]}" "$USER_NAME@127.0.0.1:$WORK/root/big.bin" "$OUT/big.bin"
           check "$OUT/big.bin" sftp
           clean
           timed scp_t scp "${SSH_OPTS[@]}" "$USER_NAME@127.0.0.1:$WORK/root/big.bin" "$OUT/big.bin"
           check "$OUT/big.bin" scp ;;
      put) echo "put $WORK/root/big.bin $WORK/root/up.bin" > "$WORK/batch"
           timed peer_t sftp "${SSH_OPTS[@]}" -b "$WORK/batch" "$USER_NAME@127.0.0.1"
           check "$WORK/root/up.bin" sftp
           clean
           timed scp_t scp "${SSH_OPTS[@]}" "$WORK/root/big.bin" "$USER_NAME@127.0.0.1:$WORK/root/up.bin"
           check "$WORK/root/up.bin" scp ;;
      tree) timed peer_t sftp "${SSH_OPTS[@]}" -r "$USER_NAME@127.0.0.1:$WORK/root/tree" "$OUT/tree" >/dev/null
           check "$OUT/tree" sftp ;;
    esac
  }
  one_skiff() {
    clean
    case $name in
      get) skiff_timed skiff_t get "${SKIFF_OPTS[@]}" "$URL/big.bin" "$OUT/big.bin"; check "$OUT/big.bin" skiff ;;
      put) skiff_timed skiff_t put "${SKIFF_OPTS[@]}" "$WORK/root/big.bin" "$URL/up.bin"; check "$WORK/root/up.bin" skiff ;;
      tree) skiff_timed skiff_t get -r --parallel 4 "${SKIFF_OPTS[@]}" "$URL/tree" "$OUT/tree" >/dev/null 2>&1
            check "$OUT/tree" skiff ;;
    esac
  }
  for run in $(seq 1 "$RUNS"); do
    if (( run % 2 )); then one_peer; one_skiff; else one_skiff; one_peer; fi
    printf '%s run %d: sftp %.3f s, skiff %.3f s\n' "$name" "$run" "${peer_t[-1]}" "${skiff_t[-1]}" >&2
  done
  clean
  local p s
  p=$(printf '%s\n' "${peer_t[@]}" | median); s=$(printf '%s\n' "${skiff_t[@]}" | median)
  local what="1 GiB $name"
  [[ $name == tree ]] && what="1,000 x 4 KiB get -r (skiff 4 connections, sftp -r)"
  local extra=""
  if (( ${#scp_t[@]} > 0 )); then
    extra=" | scp $(printf '%.3f' "$(printf '%s\n' "${scp_t[@]}" | median)") s"
  fi
  printf 'case SFTP %s | sftp %.3f s%s | skiff %.3f s | ratio %.2f | skiff peak RSS %.1f MiB\n' \
    "$what" "$p" "$extra" "$s" "$(calc "$s / $p")" "$(calc "$rss_max / 1024")"
}

echo "SFTP over loopback, OpenSSH sshd (internal-sftp), median of $RUNS; $(ssh -V 2>&1)"
IFS=, read -ra wanted <<< "$CASES"
for name in "${wanted[@]}"; do run_case "$name"; done
