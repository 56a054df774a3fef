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

[[ $EUID -eq 0 ]] || { echo "bench: run as root (vsftpd chroots)" >&2; exit 1; }
if [[ ! -x $VSFTPD ]] || ! command -v curl >/dev/null; then
  bash "$REPO/tests/servers/install.sh"
fi
command -v /usr/bin/time >/dev/null || apt-get install -y -qq time >/dev/null

echo "bench: building skiff (release)" >&2
(cd "$REPO" && cargo build --release --quiet)
SKIFF="$REPO/target/release/skiff"

mkdir -p "$WORK/root" "$WORK/empty" "$WORK/out"
chown "$USER_NAME" "$WORK/root"
if [[ ! -f $WORK/root/big.bin ]] || [[ $(stat -c %s "$WORK/root/big.bin") -ne 1073741824 ]]; then
  echo "bench: creating a 1 GiB random file" >&2
  head -c 1073741824 /dev/urandom > "$WORK/root/big.bin"
  chown "$USER_NAME" "$WORK/root/big.bin"
fi

cat > "$WORK/vsftpd.conf" <<CONF
listen=YES
listen_address=127.0.0.1
listen_port=$PORT
background=NO
anonymous_enable=NO
local_enable=YES
write_enable=YES
chroot_local_user=YES
allow_writeable_chroot=YES
local_root=$WORK/root
secure_chroot_dir=$WORK/empty
seccomp_sandbox=NO
pam_service_name=skiff-bench-vsftpd
pasv_enable=YES
pasv_min_port=$PASV_MIN
pasv_max_port=$PASV_MAX
connect_from_port_20=NO
xferlog_enable=NO
CONF
setsid "$VSFTPD" "$WORK/vsftpd.conf" > "$WORK/vsftpd.out" 2>&1 &
VSFTPD_PID=$!
trap 'kill -- -$VSFTPD_PID 2>/dev/null || kill $VSFTPD_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break
  sleep 0.05
done

URL="ftp://$USER_NAME:$USER_PASS@127.0.0.1:$PORT/big.bin"
OUT="$WORK/out/big.bin"

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
now() { date +%s.%N; }
calc() { awk "BEGIN { print $1 }"; }

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
