#!/usr/bin/env bash
# bench/window.sh [RUNS] — the real window's start and memory, under Xvfb with Mesa's
# software rendering (as the screenshots are taken): the time from exec to the first frame
# presented (median of RUNS, default 3), the resident memory (VmRSS) idle, and after
# listing a 100,000-entry folder from a vsftpd with explicit TLS on 127.0.0.1.
#
# The first frame is reported by the window itself: started with
# SKIFF_REPORT_FIRST_FRAME=FILE, it writes the wall-clock time at which its first frame was
# on screen (the second frame begins) to FILE; the script takes the time just before exec.
# Needs root (vsftpd chroots) and `tests/servers/install.sh`; builds the release binary when
# it is missing. Prints `case ...` lines another script can grep, e.g.
#   case window first frame | 0.41 s
#   case window RSS idle | 120 MiB
# Not a test: nothing here asserts a time.
set -euo pipefail
RUNS=${1:-3}
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib.sh
source "$REPO/bench/lib.sh"
PORT=${BENCH_PORT:-31321}
PASV_MIN=${BENCH_PASV_MIN:-31400}
PASV_MAX=$((PASV_MIN + 9))
ENTRIES=100000
SKIFF="${SKIFF:-$REPO/target/dist/skiff}"
[[ $EUID -eq 0 ]] || { echo "window: run as root (vsftpd chroots)" >&2; exit 1; }
[[ -x $VSFTPD ]] || bash "$REPO/tests/servers/install.sh"
command -v Xvfb >/dev/null || apt-get install -y -qq --no-install-recommends xvfb >/dev/null
if [[ ! -x $SKIFF ]]; then
  echo "window: building skiff (dist profile)" >&2
  (cd "$REPO" && cargo build --profile dist --quiet)
fi

WORK="$(mktemp -d /tmp/skiff-window.XXXXXX)"
chmod 755 "$WORK" # the server runs as skiffftp and must reach its root
XVFB_PID=""; APP_PID=""
stop_app() {
  if [[ -n $APP_PID ]]; then
    kill -TERM -- "-$APP_PID" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$APP_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$APP_PID" 2>/dev/null || true
    wait "$APP_PID" 2>/dev/null || true
    APP_PID=""
  fi
}
cleanup() {
  stop_app
  [[ -n $XVFB_PID ]] && kill "$XVFB_PID" 2>/dev/null
  [[ -n ${VSFTPD_PID:-} ]] && { kill -- "-$VSFTPD_PID" 2>/dev/null || kill "$VSFTPD_PID" 2>/dev/null; }
  rm -rf -- "$WORK"
}
trap cleanup EXIT

# A private display; software GL and a clean home (no saved sites, settings or queue).
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp -noreset +extension GLX \
  3>"$WORK/displayfd" >"$WORK/xvfb.log" 2>&1 &
XVFB_PID=$!
for _ in $(seq 1 100); do [[ -s $WORK/displayfd ]] && break; sleep 0.1; done
export DISPLAY=":$(tr -dc '0-9' <"$WORK/displayfd")"
[[ $DISPLAY != ":" ]] || { cat "$WORK/xvfb.log" >&2; echo "window: Xvfb did not start" >&2; exit 1; }
export LIBGL_ALWAYS_SOFTWARE=1
unset WAYLAND_DISPLAY
export HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/home/.config" XDG_DATA_HOME="$WORK/home/.local/share"
export XDG_CACHE_HOME="$WORK/home/.cache" XDG_RUNTIME_DIR="$WORK/xdg"
mkdir -p "$HOME" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME"
mkdir -p -m 700 "$XDG_RUNTIME_DIR"

rss_mib() { awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$APP_PID/status"; }

# Starts the window (with ARGS); sets APP_PID and FIRST_FRAME (seconds from exec).
start_window() {
  rm -f "$WORK/first-frame"
  local t0
  t0=$(now)
  SKIFF_REPORT_FIRST_FRAME="$WORK/first-frame" setsid "$SKIFF" "$@" >"$WORK/skiff.log" 2>&1 </dev/null &
  APP_PID=$!
  for _ in $(seq 1 600); do
    [[ -s $WORK/first-frame ]] && break
    kill -0 "$APP_PID" 2>/dev/null || { cat "$WORK/skiff.log" >&2; echo "window: skiff exited" >&2; exit 1; }
    sleep 0.05
  done
  [[ -s $WORK/first-frame ]] || { echo "window: no first frame in 30 s" >&2; exit 1; }
  FIRST_FRAME=$(calc "$(cat "$WORK/first-frame") - $t0")
}

firsts=()
for run in $(seq 1 "$RUNS"); do
  start_window
  firsts+=("$FIRST_FRAME")
  if (( run == 1 )); then
    sleep 5
    RSS_IDLE=$(rss_mib)
  fi
  stop_app
done
FIRST=$(printf '%s\n' "${firsts[@]}" | median)

# The folder: 100,000 empty files with varied names.
mkdir -p "$WORK/root/big"
seq 0 $((ENTRIES - 1)) | awk -v d="$WORK/root/big" \
  'BEGIN { split("report IMG backup Invoice data log photo Track notes Archive", w, " ");
           split(".txt .jpg .PNG .tar.gz .log .csv .mp3 .dat .pdf", e, " ") }
   { printf "%s/%s_%05x_%d%s\n", d, w[$1 % 10 + 1], ($1 * 7919) % 1048576, $1, e[$1 % 9 + 1] }' |
  xargs touch
chown -R skiffftp "$WORK/root"
# The protocol log says when the listing has been sent.
# Explicit TLS, its certificate trusted in the window's config (Quickconnect tries TLS
# first, as a user's window would here).
demo_tls "$WORK"
demo_trust "$XDG_CONFIG_HOME" "$PORT"
VSFTPD_EXTRA="xferlog_enable=YES
log_ftp_protocol=YES
xferlog_std_format=NO
vsftpd_log_file=$WORK/vsftpd.log
$TLS_EXTRA"
start_vsftpd "$WORK" "$PORT" "$PASV_MIN" "$PASV_MAX"

start_window "ftp://skiffftp:skiffftp@127.0.0.1:$PORT/big"
for _ in $(seq 1 600); do
  grep -q '"226 ' "$WORK/vsftpd.log" 2>/dev/null && break
  sleep 0.1
done
grep -q '"226 ' "$WORK/vsftpd.log" || { echo "window: the listing was never sent" >&2; exit 1; }
# Parsed, keyed and shown: wait until the resident size holds still (at most 30 s).
last=0
for _ in $(seq 1 30); do
  sleep 1
  now_rss=$(rss_mib)
  (( now_rss == last )) && break
  last=$now_rss
done
RSS_LISTED=$(rss_mib)
HWM=$(awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$APP_PID/status")
stop_app

echo "first frames (s): ${firsts[*]}"
echo "case window first frame | $(printf '%.2f' "$FIRST") s"
echo "case window RSS idle | $RSS_IDLE MiB"
echo "case window RSS after listing $ENTRIES entries | $RSS_LISTED MiB"
echo "case window peak RSS (VmHWM) listing $ENTRIES entries | $HWM MiB"
