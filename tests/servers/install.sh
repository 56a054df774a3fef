#!/usr/bin/env bash
# tests/servers/install.sh — installs what Skiff's tests need on Debian/Ubuntu. Run as root,
# once per machine (it is idempotent and quick the second time).
#
# The FTP servers' Debian packages (vsftpd, pure-ftpd, proftpd-core) all "Provide/Conflict:
# ftp-server" and would start system services, so they are NOT installed with dpkg: their
# .debs are fetched with `apt-get download` and unpacked into a cache folder
# (default <repo>/.server-cache/root, override with SKIFF_SERVER_CACHE); only their shared
# libraries are installed. The test harness (tests/common) starts them from there, each test
# with its own config, root and ports on loopback.
#
# The one change to /etc: the system user `skiffftp` (password `skiffftp`, home /, no shell),
# which vsftpd authenticates through PAM and the other servers map their login to.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${SKIFF_SERVER_CACHE:-$REPO/.server-cache}"
PKGROOT="$CACHE/root"
SYS_USER=skiffftp
SYS_PASS=skiffftp

[[ $EUID -eq 0 ]] || { echo "install.sh: run as root (sudo bash $0)" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
log() { echo "install.sh: $*" >&2; }

APT_UPDATED=0
apt_update_once() {
  [[ $APT_UPDATED == 1 ]] && return 0
  log "apt-get update"
  apt-get update -qq >&2
  APT_UPDATED=1
}

apt_install() {
  local missing=() p
  for p in "$@"; do
    [[ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null)" == "ii "* ]] || missing+=("$p")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  log "apt-get install ${missing[*]}"
  if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; then
    apt_update_once
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
}

# Fetch a .deb, install its lib* dependencies, unpack it into $PKGROOT (unless the file it
# provides, $2, is already there).
deb_extract() {
  local pkg=$1 provides=$2 deb deps
  [[ -e $PKGROOT/$provides ]] && return 0
  mkdir -p "$CACHE/debs" "$PKGROOT"
  if ! (cd "$CACHE/debs" && apt-get download "$pkg" >/dev/null 2>&1); then
    apt_update_once
    (cd "$CACHE/debs" && apt-get download "$pkg" >&2)
  fi
  deb=$(ls -t "$CACHE/debs/${pkg}"_*.deb | head -1)
  # "a (>= 1), b | c" -> first alternative, no versions, shared libraries only
  deps=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/[[:space:]]//g' \
         | grep -E '^(lib|zlib)' || true)
  # shellcheck disable=SC2086
  apt_install $deps
  dpkg-deb -x "$deb" "$PKGROOT"
  log "unpacked $(basename "$deb")"
}

# Tools: openssl (password hashes, test certificates), iproute2 (ss), util-linux (setsid),
# script from bsdutils (a terminal for the trust-prompt test), curl and lftp (benchmark
# baselines), time (peak RSS in benchmarks), ca-certificates.
apt_install openssl iproute2 util-linux bsdutils passwd curl lftp time ca-certificates

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9
deb_extract vsftpd usr/sbin/vsftpd
deb_extract pure-ftpd usr/sbin/pure-ftpd
deb_extract proftpd-core usr/sbin/proftpd
deb_extract proftpd-mod-crypto usr/lib/proftpd/mod_tls.so
flock -u 9

if ! getent passwd "$SYS_USER" >/dev/null; then
  useradd --system --user-group --home-dir / --no-create-home --shell /usr/sbin/nologin "$SYS_USER"
  log "created system user $SYS_USER"
fi
# vsftpd chdir()s to the passwd home before local_root, so it must exist.
[[ "$(getent passwd "$SYS_USER" | cut -d: -f6)" == / ]] || usermod -d / "$SYS_USER"
echo "$SYS_USER:$SYS_PASS" | chpasswd -c SHA512

for bin in usr/sbin/vsftpd usr/sbin/pure-ftpd usr/bin/pure-pw usr/sbin/proftpd; do
  [[ -x $PKGROOT/$bin ]] || { log "missing $PKGROOT/$bin"; exit 1; }
done
log "ready: servers under $PKGROOT, user $SYS_USER"
