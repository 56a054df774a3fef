# assets/shot-lib.sh — shared by the screenshot scripts. Source it with REPO set: it sets
# CACHE, VSFTPD, SHOT (the steering repo's gui-shot tool, or $GUI_SHOT) and WORK (a fresh
# folder the server user can reach), sources bench/lib.sh (start_vsftpd), installs the
# servers when missing and builds the debug binary the shots run.
CACHE="${SKIFF_SERVER_CACHE:-$REPO/.server-cache}/root"
VSFTPD="$CACHE/usr/sbin/vsftpd"
SHOT="${GUI_SHOT:-$REPO/../shared/tools/gui-shot.sh}"
WORK="$(mktemp -d /tmp/skiff-shot.XXXXXX)"
chmod 755 "$WORK" # the server runs as skiffftp and must reach its root
[[ -x $SHOT ]] || { echo "screenshot: no gui-shot tool at $SHOT (set GUI_SHOT)" >&2; exit 1; }
# shellcheck source=../bench/lib.sh
source "$REPO/bench/lib.sh"
[[ -x $VSFTPD ]] || bash "$REPO/tests/servers/install.sh"
(cd "$REPO" && cargo build --quiet)


# Two copies of a small web site that have drifted apart, for the comparison and sync shots:
# the server's in $WORK/root/www (owned by the FTP user), the local one in $WORK/local/www.
# Sets $root and $local_dir.
demo_www_trees() {
  root="$WORK/root/www"
  local_dir="$WORK/local/www"
  mkdir -p "$root/css" "$root/img" "$local_dir/css" "$local_dir/img" "$local_dir/js"
  local old='2026-11-28 09:15'
  for side in "$root" "$local_dir"; do
    printf '<h1>Home</h1>\n' > "$side/index.html"
    printf 'body { margin: 0 }\n' > "$side/css/site.css"
    head -c 48213 /dev/urandom > "$side/img/harbour.jpg"
    printf 'User-agent: *\n' > "$side/robots.txt"
    touch -d "$old" "$side"/index.html "$side"/robots.txt "$side/img/harbour.jpg"
  done
  printf '<h1>Home</h1>\n<p>New prices</p>\n' > "$local_dir/index.html"   # edited here: newer, larger
  printf 'Contact: Mina Park\n' > "$local_dir/contact.html"               # only here
  printf '<p>Old offer</p>\n' > "$root/offer-2025.html"                   # only there
  printf 'User-agent: *\nDisallow: /tmp\n' > "$root/robots.txt"           # edited there
  printf 'body { margin: 2px }\n' > "$root/about.html"
  printf 'body { margin: 2px }\n' > "$local_dir/about.html"
  touch -d "$old" "$local_dir/about.html"                                 # same size, newer there
  printf 'Release notes\n' > "$root/notes.txt"
  printf 'Release notes, v2\n' > "$local_dir/notes.txt"
  touch -d "$old" "$root/notes.txt" "$local_dir/notes.txt"                # same time, sizes differ
  chown -R skiffftp:skiffftp "$WORK/root"
}

# Serves $WORK/root from a vsftpd with explicit TLS (a self-signed certificate the window's
# fresh config trusts) on PORT with the passive range FIRST-LAST, starts the window in
# LOCAL_DIR connected to /www, clicks each CLICK in order and writes $OUT_DIR/NAME (1280×800).
#   shoot_connected NAME LOCAL_DIR PORT FIRST LAST [CLICK...]
shoot_connected() {
  local name=$1 local_dir=$2 port=$3 first=$4 last=$5
  shift 5
  demo_tls "$WORK"
  VSFTPD_EXTRA="$TLS_EXTRA"
  start_vsftpd "$WORK" "$port" "$first" "$last"
  cd "$local_dir"
  rm -rf "$WORK/config" "$WORK/data"
  demo_trust "$WORK/config" "$port"
  local clicks=() c
  for c in "$@"; do clicks+=(--click "$c"); done
  HOME="$local_dir" XDG_CONFIG_HOME="$WORK/config" XDG_DATA_HOME="$WORK/data" \
    SKIFF_WINDOW_SIZE=1280x800 \
    "$SHOT" "$OUT_DIR/$name" --size 1280x800 --wait 4 "${clicks[@]}" --after-click 2 -- \
    "$REPO/target/debug/skiff" "ftp://skiffftp:skiffftp@127.0.0.1:$port/www"
  echo "screenshot: wrote $OUT_DIR/$name"
}
