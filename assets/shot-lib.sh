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

# shot_tls: a self-signed certificate for the demo vsftpd (Quickconnect tries TLS first);
# sets FINGERPRINT and TLS_EXTRA (lines for $VSFTPD_EXTRA).
shot_tls() {
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=127.0.0.1 \
    -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
  FINGERPRINT=$(openssl x509 -in "$WORK/cert.pem" -noout -fingerprint -sha256 | cut -d= -f2)
  TLS_EXTRA="ssl_enable=YES
rsa_cert_file=$WORK/cert.pem
rsa_private_key_file=$WORK/key.pem
allow_anon_ssl=NO
force_local_logins_ssl=NO
force_local_data_ssl=NO
require_ssl_reuse=YES"
}

# shot_trust CONFIG_HOME PORT: the window's fresh config trusts the demo certificate, as a
# user would after checking it once.
shot_trust() {
  mkdir -p "$1/skiff"
  cat > "$1/skiff/trusted-certificates.json" <<JSON
{"version": 1, "certificates": [{"host": "127.0.0.1", "port": $2,
  "sha256": "$FINGERPRINT", "subject": "CN=127.0.0.1", "not_after": ""}]}
JSON
}
