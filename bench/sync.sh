#!/usr/bin/env bash
# bench/sync.sh [RUNS] — issue 21's sync benchmark: a tree of 10,000 files (100 folders of
# 100 files of 2 KiB) over loopback with vsftpd, synced again after 1% of it changed:
# `skiff sync URL DIR` against `lftp mirror --only-newer` (downloads) and `skiff sync DIR URL`
# against `lftp mirror -R --only-newer` (uploads), in the same run, alternating which goes
# first. Each client keeps its own copy, made once before the runs; every run changes 100
# other files (new contents, one byte longer, a later time), so both find the same work.
# Medians, ratios and skiff's peak RSS; one `case` line each for bench/all.sh. Needs root
# and tests/servers/install.sh. Not a test: nothing here asserts a time.
set -euo pipefail
RUNS=${1:-5}
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/bench/lib.sh"
WORK="$REPO/bench/work-sync"
PORT=${BENCH_PORT:-31023}
PASV_MIN=${BENCH_PASV_MIN:-31300}
PASV_MAX=$((PASV_MIN + 49))
FOLDERS=100
PER_FOLDER=100

bench_prepare
rm -rf "$WORK"
mkdir -p "$WORK/root/tree" "$WORK/empty" "$WORK/local"
# The tree, on the server and as the upload's local source; two days old.
OLD=$(( $(date +%s) - 2 * 86400 ))
make_tree() {  # make_tree DIR
  for d in $(seq -w 1 $FOLDERS); do
    mkdir -p "$1/d$d"
    for f in $(seq -w 1 $PER_FOLDER); do head -c 2048 /dev/urandom > "$1/d$d/f$f.bin"; done
  done
  find "$1" -exec touch -d "@$OLD" {} +
}
echo "bench: creating 2 x $((FOLDERS * PER_FOLDER)) files" >&2
make_tree "$WORK/root/tree"
make_tree "$WORK/local/source"
chown -R "$USER_NAME" "$WORK/root"
start_vsftpd "$WORK" "$PORT" "$PASV_MIN" "$PASV_MAX"

BASE="ftp://$USER_NAME:$USER_PASS@127.0.0.1:$PORT"
export HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/home/.config" XDG_DATA_HOME="$WORK/home/.local/share"
lftp_cmd() {
  lftp -e "set ftp:passive-mode on; set net:max-retries 1; $1; quit" \
    -u "$USER_NAME,$USER_PASS" -p "$PORT" 127.0.0.1
}
quiet() { "$@" > "$WORK/last.out" 2> "$WORK/last.err" || { cat "$WORK/last.err" >&2; exit 1; }; }
# The first copies, not timed: each client's own.
echo "bench: first copies" >&2
quiet lftp_cmd "mirror /tree $WORK/local/lftp-down"
quiet "$SKIFF" sync "$BASE/tree" "$WORK/local/skiff-down"
quiet lftp_cmd "mirror -R $WORK/local/source /lftp-up"
quiet "$SKIFF" sync "$WORK/local/source" "$BASE/skiff-up"

# change DIR RUN: rewrites 100 files spread over the folders, a byte longer, as an edit now
# does (newer than every copy made before).
change() {
  local when; when=$(date +%s)
  for i in $(seq 0 99); do
    local d f
    d=$(printf '%03d' $(( (i % FOLDERS) + 1 ))); f=$(printf '%03d' $(( (i * 7 + $2) % PER_FOLDER + 1 )))
    head -c $(( 2048 + $2 )) /dev/urandom > "$1/d$d/f$f.bin"
    touch -d "@$when" "$1/d$d/f$f.bin"
  done
}
same_tree() {  # same_tree A B: identical contents, or the benchmark stops
  diff -rq "$1" "$2" > /dev/null || { echo "bench: $1 and $2 differ after a run" >&2; exit 1; }
}

lftp_down=(); skiff_down=(); lftp_up=(); skiff_up=()
rss_max=0
down_lftp() { sync; timed lftp_down quiet lftp_cmd "mirror --only-newer /tree $WORK/local/lftp-down"; }
down_skiff() { sync; skiff_timed skiff_down sync "$BASE/tree" "$WORK/local/skiff-down" > /dev/null 2> "$WORK/last.err"; }
up_lftp() { sync; timed lftp_up quiet lftp_cmd "mirror -R --only-newer $WORK/local/source /lftp-up"; }
up_skiff() { sync; skiff_timed skiff_up sync "$WORK/local/source" "$BASE/skiff-up" > /dev/null 2> "$WORK/last.err"; }
for run in $(seq 1 "$RUNS"); do
  change "$WORK/root/tree" "$run"
  chown -R "$USER_NAME" "$WORK/root/tree"
  change "$WORK/local/source" "$run"
  if (( run % 2 )); then down_lftp; down_skiff; up_lftp; up_skiff
  else down_skiff; down_lftp; up_skiff; up_lftp; fi
  same_tree "$WORK/root/tree" "$WORK/local/lftp-down"
  same_tree "$WORK/root/tree" "$WORK/local/skiff-down"
  same_tree "$WORK/local/source" "$WORK/root/lftp-up"
  same_tree "$WORK/local/source" "$WORK/root/skiff-up"
  printf 'run %d: down lftp %.3f s, skiff %.3f s; up lftp %.3f s, skiff %.3f s\n' "$run" \
    "${lftp_down[-1]}" "${skiff_down[-1]}" "${lftp_up[-1]}" "${skiff_up[-1]}" >&2
done

med() { printf '%s\n' "$@" | median; }
for dir in down up; do
  if [[ $dir == down ]]; then l=$(med "${lftp_down[@]}"); s=$(med "${skiff_down[@]}")
  else l=$(med "${lftp_up[@]}"); s=$(med "${skiff_up[@]}"); fi
  printf 'case sync 10,000 files, 1%% changed, %s | lftp --only-newer %.3f s | skiff %.3f s | ratio %.2f | skiff peak RSS %.1f MiB\n' \
    "$dir" "$l" "$s" "$(calc "$s / $l")" "$(calc "$rss_max / 1024")"
done
