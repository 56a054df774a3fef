#!/usr/bin/env bash
# bench/mirror.sh [RUNS] — 1,000 files of 4 KiB, recursively over loopback with vsftpd, both
# ways: skiff get -r / put -r with --parallel 4 and --parallel 1 against lftp mirror (-R for
# uploads) with --parallel=4 and serial, in the same run, alternating; medians, ratios and
# skiff's peak RSS, with one `case` line per comparison for bench/all.sh. Needs root and
# tests/servers/install.sh (which installs lftp). Not a test: nothing here asserts a time.
set -euo pipefail
RUNS=${1:-5}
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/bench/lib.sh"
WORK="$REPO/bench/work-mirror"
PORT=${BENCH_PORT:-31022}
PASV_MIN=${BENCH_PASV_MIN:-31200}
PASV_MAX=$((PASV_MIN + 49))

bench_prepare

mkdir -p "$WORK/root/small" "$WORK/empty"
# Every run downloads into its own new folder, and the folders are deleted only after the last
# run: this disk's ext4 has no journal, and there a file created soon after many were deleted
# scans past every recently freed inode (recently_deleted() in the kernel's ialloc.c): with
# rm -rf between runs that scan was a third of the CPU time of whichever client ran next.
# The kernel skips inodes freed in the last five minutes, so leave five minutes after a big
# delete (this script's own cleanup included) before measuring again.
rm -rf "$WORK/out" "$WORK"/root/up-*
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
count_files() { find "$1" -type f | wc -l; }
timed() {  # timed NAME DIR COMMAND...: runs (its files land in DIR), records seconds
  local name=$1 dir=$2; shift 2
  sync
  local t0 t1
  t0=$(now); "$@" > /dev/null 2> "$WORK/last.err" || { cat "$WORK/last.err" >&2; exit 1; }; t1=$(now)
  local n; n=$(count_files "$dir")
  [[ $n -eq 1000 ]] || { echo "bench: $name moved $n files" >&2; exit 1; }
  times[$name]+="$(calc "$t1 - $t0") "
}
skiff_rss() {  # skiff under GNU time, keeping the peak RSS
  /usr/bin/time -f "%M" -o "$WORK/rss" "$@"
  local rss; rss=$(cat "$WORK/rss")
  (( rss > rss_max )) && rss_max=$rss
  return 0
}
lftp_cmd() {
  lftp -e "set ftp:passive-mode on; set net:max-retries 1; $1; quit" \
    -u "$USER_NAME,$USER_PASS" -p "$PORT" 127.0.0.1
}
# Downloads go to a new local folder per run, uploads to a new remote one.
get_lftp() { OUT="$WORK/out/$1-$run"; timed "$1" "$OUT" lftp_cmd "mirror --parallel=$2 /small $OUT"; }
get_skiff() { OUT="$WORK/out/$1-$run"; timed "$1" "$OUT" skiff_rss "$SKIFF" get -r "$URL" "$OUT" --parallel "$2"; }
put_lftp() { timed "$1" "$WORK/root/up-$1-$run" lftp_cmd "mirror -R --parallel=$2 $WORK/root/small /up-$1-$run"; }
put_skiff() {
  timed "$1" "$WORK/root/up-$1-$run" skiff_rss "$SKIFF" put -r "$WORK/root/small" \
    "ftp://$USER_NAME:$USER_PASS@127.0.0.1:$PORT/up-$1-$run" --parallel "$2"
}
# pair LFTP_STEP SKIFF_STEP: both, lftp first in odd runs and skiff first in even ones (the
# second of a pair works behind the first one's writeback and freshly allocated inodes).
pair() {
  if (( run % 2 )); then "${@:1:3}"; "${@:4:3}"; else "${@:4:3}"; "${@:1:3}"; fi
}
for run in $(seq 1 "$RUNS"); do
  pair get_lftp lftp-get4 4 get_skiff skiff-get4 4
  pair get_lftp lftp-get1 1 get_skiff skiff-get1 1
  pair put_lftp lftp-put4 4 put_skiff skiff-put4 4
  pair put_lftp lftp-put1 1 put_skiff skiff-put1 1
  echo "run $run done" >&2
done

rm -rf "$WORK/out" "$WORK"/root/up-*
med() { printf '%s\n' ${times[$1]} | median; }
printf '\n1000 x 4 KiB recursively, vsftpd over loopback, median of %d runs\n' "$RUNS"
printf '| client | median s | files/s |\n|---|---:|---:|\n'
for name in lftp-get4 skiff-get4 lftp-get1 skiff-get1 lftp-put4 skiff-put4 lftp-put1 skiff-put1; do
  m=$(med "$name"); printf '| %s | %.3f | %.0f |\n' "$name" "$m" "$(calc "1000 / $m")"
done
echo
for pair in get4 get1 put4 put1; do
  s=$(med "skiff-$pair"); l=$(med "lftp-$pair")
  printf 'case 1,000 x 4 KiB %s | lftp %.3f s | skiff %.3f s | ratio %.2f | skiff peak RSS %.1f MiB\n' \
    "$pair" "$l" "$s" "$(calc "$s / $l")" "$(calc "$rss_max / 1024")"
done
printf 'case 1,000 x 4 KiB get4 against serial lftp | lftp %.3f s | skiff %.3f s | ratio %.2f |\n' \
  "$(med lftp-get1)" "$(med skiff-get4)" "$(calc "$(med skiff-get4) / $(med lftp-get1)")"
