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

