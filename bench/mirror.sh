#!/usr/bin/env bash
# bench/mirror.sh [RUNS] — 1,000 files of 4 KiB, recursive download over loopback from vsftpd:
# skiff get -r --parallel 4 and --parallel 1 against lftp mirror --parallel=4 and serial lftp
# mirror, in the same run, alternating; medians and skiff's peak RSS. Needs root and
# tests/servers/install.sh (which installs lftp). Not a test: nothing here asserts a time.
set -euo pipefail
RUNS=${1:-5}
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${SKIFF_SERVER_CACHE:-$REPO/.server-cache}/root"
VSFTPD="$CACHE/usr/sbin/vsftpd"
WORK="$REPO/bench/work-mirror"
PORT=${BENCH_PORT:-31022}
PASV_MIN=${BENCH_PASV_MIN:-31200}
PASV_MAX=$((PASV_MIN + 49))
USER_NAME=skiffftp
USER_PASS=skiffftp

source "$REPO/bench/lib.sh"
bench_prepare

mkdir -p "$WORK/root/small" "$WORK/empty"
# Every run downloads into its own new folder, and the folders are deleted only after the last
# run: this disk's ext4 has no journal, and there a file created soon after many were deleted
# scans past every recently freed inode (recently_deleted() in the kernel's ialloc.c): with
# rm -rf between runs that scan was a third of the CPU time of whichever client ran next.
# The kernel skips inodes freed in the last five minutes, so leave five minutes after a big
# delete (this script's own cleanup included) before measuring again.
rm -rf "$WORK/out"
chown -R "$USER_NAME" "$WORK/root"
if [[ $(find "$WORK/root/small" -type f | wc -l) -ne 1000 ]]; then
  echo "bench: creating 1000 files of 4 KiB" >&2
  for i in $(seq -w 1 1000); do head -c 4096 /dev/urandom > "$WORK/root/small/f$i.bin"; done
  chown -R "$USER_NAME" "$WORK/root"
fi

start_vsftpd "$WORK" "$PORT" "$PASV_MIN" "$PASV_MAX"

URL="ftp://$USER_NAME:$USER_PASS@127.0.0.1:$PORT/small"

declare -A times
rss_max=0
run=0
timed() {  # timed NAME COMMAND...: runs into a new folder $OUT, records seconds
  local name=$1; shift
  OUT="$WORK/out/$name-$run"; mkdir -p "$OUT"; sync
  local t0 t1
  t0=$(now); "$@" > /dev/null 2> "$WORK/last.err" || { cat "$WORK/last.err" >&2; exit 1; }; t1=$(now)
  local n; n=$(find "$OUT" -type f | wc -l)
  [[ $n -eq 1000 ]] || { echo "bench: $name fetched $n files" >&2; exit 1; }
  times[$name]+="$(calc "$t1 - $t0") "
}
skiff_rss() {  # skiff under GNU time, keeping the peak RSS
  /usr/bin/time -f "%M" -o "$WORK/rss" "$@"
  local rss; rss=$(cat "$WORK/rss")
  (( rss > rss_max )) && rss_max=$rss
  return 0
}
lftp_mirror() {
  lftp -e "set ftp:passive-mode on; set net:max-retries 1; mirror --parallel=$1 /small $OUT; quit" \
    -u "$USER_NAME,$USER_PASS" -p "$PORT" 127.0.0.1
}
skiff_get() { skiff_rss "$SKIFF" get -r "$URL" "$OUT" --parallel "$1"; }
for run in $(seq 1 "$RUNS"); do
  timed lftp4 lftp_mirror 4
  timed skiff4 skiff_get 4
  timed lftp1 lftp_mirror 1
  timed skiff1 skiff_get 1
  echo "run $run done" >&2
done

rm -rf "$WORK/out"
med() { printf '%s\n' ${times[$1]} | median; }
l4=$(med lftp4); s4=$(med skiff4); l1=$(med lftp1); s1=$(med skiff1)
printf '\n1000 x 4 KiB recursive download from vsftpd over loopback, median of %d runs\n' "$RUNS"
printf '| client | median s | files/s |\n|---|---:|---:|\n'
printf '| lftp mirror --parallel=4 | %.3f | %.0f |\n' "$l4" "$(calc "1000 / $l4")"
printf '| lftp mirror (serial) | %.3f | %.0f |\n' "$l1" "$(calc "1000 / $l1")"
printf '| skiff get -r --parallel 4 | %.3f | %.0f |\n' "$s4" "$(calc "1000 / $s4")"
printf '| skiff get -r --parallel 1 | %.3f | %.0f |\n' "$s1" "$(calc "1000 / $s1")"
printf '\nskiff -P4 / lftp -P4: %.2f   skiff -P4 / serial lftp: %.2f   skiff peak RSS: %.1f MiB\n' \
  "$(calc "$s4 / $l4")" "$(calc "$s4 / $l1")" "$(calc "$rss_max / 1024")"
