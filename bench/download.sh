#!/usr/bin/env bash
# bench/download.sh [RUNS] — 1 GiB download over loopback from vsftpd: skiff vs curl.
#
# Both clients fetch the same file from the same vsftpd in the same run, alternating, to a
# file on the same disk; the median of RUNS (default 5) each is reported with the ratio and
# skiff's peak RSS (GNU time). Needs root (vsftpd chroots) and `tests/servers/install.sh`.
# Not a test: nothing here asserts a time.
set -euo pipefail
RUNS=${1:-5}
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${SKIFF_SERVER_CACHE:-$REPO/.server-cache}/root"
VSFTPD="$CACHE/usr/sbin/vsftpd"
WORK="$REPO/bench/work"
PORT=${BENCH_PORT:-31021}
PASV_MIN=${BENCH_PASV_MIN:-31100}
PASV_MAX=$((PASV_MIN + 9))
USER_NAME=skiffftp
USER_PASS=skiffftp

source "$REPO/bench/lib.sh"
bench_prepare

mkdir -p "$WORK/root" "$WORK/empty" "$WORK/out"
chown "$USER_NAME" "$WORK/root"
if [[ ! -f $WORK/root/big.bin ]] || [[ $(stat -c %s "$WORK/root/big.bin") -ne 1073741824 ]]; then
  echo "bench: creating a 1 GiB random file" >&2
  head -c 1073741824 /dev/urandom > "$WORK/root/big.bin"
  chown "$USER_NAME" "$WORK/root/big.bin"
fi

start_vsftpd "$WORK" "$PORT" "$PASV_MIN" "$PASV_MAX"

URL="ftp://$USER_NAME:$USER_PASS@127.0.0.1:$PORT/big.bin"
OUT="$WORK/out/big.bin"


curl_times=(); skiff_times=(); skiff_rss=()
run_curl() {
  rm -f "$OUT" "$OUT.part"; sync
  local t0 t1
  t0=$(now); curl -s -o "$OUT" "$URL"; t1=$(now)
  [[ $(stat -c %s "$OUT") -eq 1073741824 ]] || { echo "bench: curl download incomplete" >&2; exit 1; }
  curl_times+=("$(calc "$t1 - $t0")")
}
run_skiff() {
  rm -f "$OUT" "$OUT.part"; sync
  local t0 t1
  t0=$(now)
  /usr/bin/time -f "%M" -o "$WORK/rss" "$SKIFF" get "$URL" "$OUT"
  t1=$(now)
  [[ $(stat -c %s "$OUT") -eq 1073741824 ]] || { echo "bench: skiff download incomplete" >&2; exit 1; }
  skiff_times+=("$(calc "$t1 - $t0")")
  skiff_rss+=("$(cat "$WORK/rss")")
}
for run in $(seq 1 "$RUNS"); do
  # Alternate who goes first, so neither always inherits the other's writeback.
  if (( run % 2 )); then run_curl; run_skiff; else run_skiff; run_curl; fi
  printf 'run %d: curl %.3f s, skiff %.3f s, skiff peak RSS %d KiB\n' "$run" \
    "${curl_times[-1]}" "${skiff_times[-1]}" "${skiff_rss[-1]}"
done
rm -f "$OUT"

curl_med=$(printf '%s\n' "${curl_times[@]}" | median)
skiff_med=$(printf '%s\n' "${skiff_times[@]}" | median)
rss_max=$(printf '%s\n' "${skiff_rss[@]}" | sort -n | tail -1)
ratio=$(calc "$skiff_med / $curl_med")
printf '\n1 GiB download from vsftpd over loopback, median of %d runs\n' "$RUNS"
printf '| client | median s | MiB/s |\n|---|---:|---:|\n'
printf '| curl %s | %.3f | %.0f |\n' "$(curl --version | head -1 | cut -d' ' -f2)" "$curl_med" "$(calc "1024 / $curl_med")"
printf '| skiff | %.3f | %.0f |\n' "$skiff_med" "$(calc "1024 / $skiff_med")"
printf '\nratio skiff/curl: %.3f   skiff peak RSS: %.1f MiB\n' "$ratio" "$(calc "$rss_max / 1024")"
