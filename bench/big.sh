#!/usr/bin/env bash
# bench/big.sh [RUNS] [CASES] — 1 GiB over loopback with vsftpd: skiff against curl, get and
# put, plain FTP and explicit TLS (vsftpd with require_ssl_reuse=YES, TLS on the data
# connections too).
#
# CASES is a comma-separated subset of get,put,tls-get,tls-put (default: all four). Each case
# alternates which client goes first, RUNS times (default 5), writing to the same disk; the
# medians, their ratio and skiff's peak RSS (GNU time) go to stdout, one `case` line each for
# bench/all.sh. Needs root (vsftpd chroots) and tests/servers/install.sh. Not a test: nothing
# here asserts a time.
set -euo pipefail
RUNS=${1:-5}
CASES=${2:-get,put,tls-get,tls-put}
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/bench/lib.sh"
WORK="$REPO/bench/work"
PORT=${BENCH_PORT:-31021}
PASV_MIN=${BENCH_PASV_MIN:-31100}
PASV_MAX=$((PASV_MIN + 9))
SIZE=1073741824

bench_prepare

mkdir -p "$WORK/root" "$WORK/empty" "$WORK/out" "$WORK/home"
chown "$USER_NAME" "$WORK/root"
if [[ ! -f $WORK/root/big.bin ]] || [[ $(stat -c %s "$WORK/root/big.bin") -ne $SIZE ]]; then
  echo "bench: creating a 1 GiB random file" >&2
  head -c $SIZE /dev/urandom > "$WORK/root/big.bin"
  chown "$USER_NAME" "$WORK/root/big.bin"
fi
# A self-signed certificate: curl takes it with -k, skiff by its fingerprint.
demo_tls "$WORK"
VSFTPD_EXTRA="$TLS_EXTRA
ssl_ciphers=HIGH"
start_vsftpd "$WORK" "$PORT" "$PASV_MIN" "$PASV_MAX"

BASE="ftp://$USER_NAME:$USER_PASS@127.0.0.1:$PORT"
# skiff's settings and trust store stay inside the work folder.
export HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/home/.config" XDG_DATA_HOME="$WORK/home/.local/share"
OUT="$WORK/out/big.bin"
UPLOADED="$WORK/root/up.bin"

check_size() {  # check_size FILE WHO
  [[ -f $1 && $(stat -c %s "$1") -eq $SIZE ]] || { echo "bench: $2 left an incomplete file" >&2; exit 1; }
}
run_case() {  # run_case NAME
  local name=$1 tls=() skiff_tls=()
  case $name in tls-*) tls=(--ssl-reqd -k); skiff_tls=(--tls-if-available --trust-fingerprint "$FINGERPRINT");; esac
  # --tls-if-available turns ftp:// into explicit TLS; with the fingerprint trusted it
  # never falls back: vsftpd offers AUTH TLS.
  local curl_t=() skiff_t=()
  rss_max=0
  one_curl() {
    rm -f "$OUT" "$UPLOADED"; sync
    case $name in
      *get) timed curl_t curl -s "${tls[@]}" -o "$OUT" "$BASE/big.bin"; check_size "$OUT" curl ;;
      *put) timed curl_t curl -s "${tls[@]}" -T "$WORK/root/big.bin" "$BASE/up.bin"; check_size "$UPLOADED" curl ;;
    esac
  }
  one_skiff() {
    rm -f "$OUT" "$UPLOADED"; sync
    case $name in
      *get) skiff_timed skiff_t get "${skiff_tls[@]}" "$BASE/big.bin" "$OUT"; check_size "$OUT" skiff ;;
      *put) skiff_timed skiff_t put "${skiff_tls[@]}" "$WORK/root/big.bin" "$BASE/up.bin"; check_size "$UPLOADED" skiff ;;
    esac
  }
  for run in $(seq 1 "$RUNS"); do
    if (( run % 2 )); then one_curl; one_skiff; else one_skiff; one_curl; fi
    printf '%s run %d: curl %.3f s, skiff %.3f s\n' "$name" "$run" "${curl_t[-1]}" "${skiff_t[-1]}" >&2
  done
  rm -f "$OUT" "$UPLOADED"
  local c s
  c=$(printf '%s\n' "${curl_t[@]}" | median); s=$(printf '%s\n' "${skiff_t[@]}" | median)
  printf 'case 1 GiB %s | curl %.3f s | skiff %.3f s | ratio %.2f | skiff peak RSS %.1f MiB\n' \
    "$name" "$c" "$s" "$(calc "$s / $c")" "$(calc "$rss_max / 1024")"
}

echo "1 GiB over loopback, vsftpd, median of $RUNS; curl $(curl --version | head -1 | cut -d' ' -f2)"
IFS=, read -ra wanted <<< "$CASES"
for name in "${wanted[@]}"; do run_case "$name"; done
