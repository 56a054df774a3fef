# bench/lib.sh — shared by the bench scripts: a vsftpd for one benchmark, on loopback.
# Usage: source it, then `start_vsftpd WORK PORT PASV_MIN PASV_MAX` (serves WORK/root as
# user skiffftp; stopped when the script exits). Lines in $VSFTPD_EXTRA are added to its
# configuration (e.g. pasv_address=127.0.0.2). Sourced after REPO is set.

CACHE="${SKIFF_SERVER_CACHE:-$REPO/.server-cache}/root"
VSFTPD="$CACHE/usr/sbin/vsftpd"
# The login vsftpd serves (tests/servers/install.sh creates it).
USER_NAME=skiffftp
USER_PASS=skiffftp

bench_prepare() {
  [[ $EUID -eq 0 ]] || { echo "bench: run as root (vsftpd chroots)" >&2; exit 1; }
  if [[ ! -x $VSFTPD ]] || ! command -v curl >/dev/null || ! command -v lftp >/dev/null; then
    bash "$REPO/tests/servers/install.sh"
  fi
  command -v /usr/bin/time >/dev/null || apt-get install -y -qq time >/dev/null
  # SKIFF_BIN benchmarks a binary built earlier (or a wrapper around one) instead.
  if [[ -n ${SKIFF_BIN:-} ]]; then
    SKIFF=$SKIFF_BIN
  else
    # The `dist` profile: the binary the package ships (fat LTO).
    echo "bench: building skiff (dist profile)" >&2
    (cd "$REPO" && cargo build --profile dist --quiet)
    SKIFF="$REPO/target/dist/skiff"
  fi
}

start_vsftpd() {
  local work=$1 port=$2 pasv_min=$3 pasv_max=$4
  mkdir -p "$work/root" "$work/empty"
  cat > "$work/vsftpd.conf" <<CONF
listen=YES
listen_address=127.0.0.1
listen_port=$port
background=NO
anonymous_enable=NO
local_enable=YES
write_enable=YES
chroot_local_user=YES
allow_writeable_chroot=YES
local_root=$work/root
secure_chroot_dir=$work/empty
seccomp_sandbox=NO
pam_service_name=skiff-bench-vsftpd
pasv_enable=YES
pasv_min_port=$pasv_min
pasv_max_port=$pasv_max
connect_from_port_20=NO
xferlog_enable=NO
max_clients=0
max_per_ip=0
${VSFTPD_EXTRA:-}
CONF
  setsid "$VSFTPD" "$work/vsftpd.conf" > "$work/vsftpd.out" 2>&1 &
  VSFTPD_PID=$!
  trap 'kill -- -$VSFTPD_PID 2>/dev/null || kill $VSFTPD_PID 2>/dev/null || true' EXIT
  wait_for_port "$port" vsftpd
}

# wait_for_port PORT NAME: until 127.0.0.1:PORT accepts (5 s at most), or the script stops.
wait_for_port() {
  for _ in $(seq 1 100); do
    (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "bench: $2 did not start" >&2
  exit 1
}

now() { date +%s.%N; }

# timed VAR COMMAND...: runs COMMAND, appending the seconds it took to the array VAR.
timed() {
  local -n into=$1; shift
  local t0 t1
  t0=$(now); "$@"; t1=$(now)
  into+=("$(calc "$t1 - $t0")")
}
# skiff_timed VAR ARGS...: `timed VAR $SKIFF ARGS...` under GNU time, keeping skiff's peak
# RSS (KiB) in rss_max.
skiff_timed() {
  local var=$1; shift
  timed "$var" /usr/bin/time -f "%M" -o "$WORK/rss" "$SKIFF" "$@"
  local rss; rss=$(cat "$WORK/rss")
  (( rss > rss_max )) && rss_max=$rss
  return 0
}

# start_sshd WORK PORT [CONFIG LINES]: OpenSSH's sshd (unpacked by install.sh) on
# 127.0.0.1:PORT with a fresh ed25519 host key in WORK (its fingerprint in HOST_FINGERPRINT),
# serving SFTP only, for the user skiffftp; the lines given are added to its configuration.
# Stopped when the script exits.
start_sshd() {
  local work=$1 port=$2 extra=${3:-}
  mkdir -p /run/sshd
  rm -f "$work/host_ed25519" "$work/host_ed25519.pub"
  ssh-keygen -q -t ed25519 -N '' -f "$work/host_ed25519"
  HOST_FINGERPRINT=$(ssh-keygen -lf "$work/host_ed25519.pub" | cut -d' ' -f2)
  cat > "$work/sshd_config" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $work/host_ed25519
PidFile none
AllowUsers $USER_NAME
MaxStartups 100
Subsystem sftp internal-sftp
ForceCommand internal-sftp
$extra
CONF
  setsid "$CACHE/usr/sbin/sshd" -D -e -f "$work/sshd_config" > "$work/sshd.out" 2>&1 &
  SSHD_PID=$!
  trap 'kill -- -$SSHD_PID 2>/dev/null || kill $SSHD_PID 2>/dev/null || true' EXIT
  wait_for_port "$port" sshd
}
calc() { awk "BEGIN { print $1 }"; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# demo_tls WORK: a self-signed certificate for a demo vsftpd in WORK (the window's
# Quickconnect tries TLS first); sets FINGERPRINT and TLS_EXTRA (lines for $VSFTPD_EXTRA).
demo_tls() {
  local work=$1
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=127.0.0.1 \
    -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
  FINGERPRINT=$(openssl x509 -in "$work/cert.pem" -noout -fingerprint -sha256 | cut -d= -f2)
  TLS_EXTRA="ssl_enable=YES
rsa_cert_file=$work/cert.pem
rsa_private_key_file=$work/key.pem
allow_anon_ssl=NO
force_local_logins_ssl=NO
force_local_data_ssl=NO
require_ssl_reuse=YES"
}

# demo_trust CONFIG_HOME PORT: a fresh config of the window trusts the demo certificate, as
# a user would after checking it once.
demo_trust() {
  mkdir -p "$1/skiff"
  cat > "$1/skiff/trusted-certificates.json" <<JSON
{"version": 1, "certificates": [{"host": "127.0.0.1", "port": $2,
  "sha256": "$FINGERPRINT", "subject": "CN=127.0.0.1", "not_after": ""}]}
JSON
}
