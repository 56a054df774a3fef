#!/usr/bin/env bash
# tests/servers/install.sh — installs what Skiff's integration tests need on Debian 12.
# Run it once per machine (CI and developers), as root or as a user who has sudo (it then
# runs itself again through sudo); it is idempotent, and quick the second time:
#   bash tests/servers/install.sh
#
# What it does:
#  * apt-get update when the package lists are missing (a fresh machine or container) or
#    when a package cannot be found;
#  * apt-get installs the tools the tests and benchmarks use: openssl (password hashes,
#    test certificates), iproute2 (ss), util-linux (setsid, flock), bsdutils (script: a
#    terminal for the trust-prompt test), passwd (useradd, chpasswd), procps (ps, kill),
#    curl and lftp (benchmark baselines), time (peak RSS), ca-certificates, and
#    fonts-wqy-microhei (a CJK font: the window tests fail on any glyph drawn as tofu),
#    and a Secret Service for the keyring tests: dbus-daemon (a private session bus) and
#    dbus-bin (dbus-send, to lock the keyring),
#    gnome-keyring (its daemon, started unlocked by the tests) and libsecret-tools
#    (secret-tool, to read what Skiff stored there independently), and openssh-client
#    (ssh-keygen for test keys, ssh-agent and ssh-add for the agent tests, sftp and scp as
#    benchmark baselines) and putty-tools (puttygen: PuTTY .ppk keys, as FileZilla users
#    keep them);
#  * fetches the vsftpd, pure-ftpd (which also ships pure-pw), proftpd-core and
#    proftpd-mod-crypto (mod_tls) and openssh-server (sshd, for the SFTP tests) packages
#    with `apt-get download` and unpacks them with
#    `dpkg-deb -x` into the cache, default <repo>/.server-cache/root (override:
#    SKIFF_SERVER_CACHE=/some/dir puts them in /some/dir/root); the tests start the servers
#    from there. They are NOT installed with dpkg: all three "Provide/Conflict: ftp-server",
#    and installing them would put services and files into /etc. Only the shared libraries
#    their packages depend on are apt-get installed, then every binary is checked with ldd
#    (openssh-server would also start an sshd on port 22 and write host keys into /etc);
#  * creates sshd's privilege-separation user `sshd` and its folder /run/sshd, which sshd
#    run as root needs (what openssh-server's install would have done);
#  * creates the system user `skiffftp` (password `skiffftp`, home /, shell nologin), the one
#    change to /etc: vsftpd authenticates it through PAM (its pam_service_name has no
#    /etc/pam.d file, so /etc/pam.d/other, i.e. pam_unix, applies), and the pure-ftpd and
#    proftpd test logins map to its uid.
#
# Run through sudo, it gives the cache back to the user who ran it (the tests only read it,
# and the user can delete it). The tests run as root or as that user (tests/common/mod.rs
# then starts the servers with `sudo -n`).
#
# It prints what it did and exits non-zero on any failure.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${SKIFF_SERVER_CACHE:-$REPO/.server-cache}"
PKGROOT="$CACHE/root"
SYS_USER=skiffftp
SYS_PASS=skiffftp

log() { echo "install.sh: $*"; }
die() { echo "install.sh: error: $*" >&2; exit 1; }
trap 'echo "install.sh: FAILED (line $LINENO: $BASH_COMMAND)" >&2' ERR

# Root is needed (apt-get, useradd): run again through sudo when there is one.
if [[ $EUID -ne 0 ]]; then
  command -v sudo >/dev/null \
    || die "this needs root (it installs packages and creates a system user), and sudo is not installed: run it as root"
  log "not root: running again through sudo"
  exec sudo -- env "SKIFF_SERVER_CACHE=$CACHE" "SKIFF_INSTALL_OWNER=$(id -u):$(id -g)" \
    bash "$REPO/tests/servers/install.sh" "$@"
fi
if ! command -v apt-get >/dev/null || ! command -v dpkg-deb >/dev/null; then
  die "needs a Debian-based system (apt-get, dpkg-deb)"
fi
export DEBIAN_FRONTEND=noninteractive
START=$SECONDS
DID=()

APT_UPDATED=0
apt_update_once() {
  [[ $APT_UPDATED == 1 ]] && return 0
  log "apt-get update"
  apt-get update -qq
  APT_UPDATED=1
  DID+=("ran apt-get update")
}

# No package lists at all (fresh machines, containers): update before anything else.
if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
  apt_update_once
fi

installed() { [[ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null)" == "ii "* ]]; }

apt_install() {
  local missing=() p
  for p in "$@"; do installed "$p" || missing+=("$p"); done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  log "apt-get install ${missing[*]}"
  if ! apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
    [[ $APT_UPDATED == 1 ]] && die "apt-get install ${missing[*]} failed"
    apt_update_once
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
  DID+=("installed ${missing[*]}")
}

# The shared libraries a .deb depends on: "a (>= 1), b | c" -> first alternative, no
# versions, lib* and zlib* only (the rest is for a dpkg install: debconf, adduser, ...).
lib_deps() {
  dpkg-deb -f "$1" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/[[:space:]]//g' \
    | { grep -E '^(lib|zlib)' || true; } | tr '\n' ' '
}

# Fetch a .deb, install its lib* dependencies, unpack it into $PKGROOT. Skipped when the
# file it provides ($2) is there and the marker of a complete unpack (holding the package's
# library list) too.
deb_extract() {
  local pkg=$1 provides=$2 deb deps
  local marker="$CACHE/.unpacked-$pkg"
  if [[ -e $PKGROOT/$provides ]]; then
    if [[ ! -f $marker ]]; then
      # Unpacked by an earlier version of this script, which wrote no marker.
      deb=$(find "$CACHE/debs" -maxdepth 1 -name "${pkg}_*.deb" 2>/dev/null | head -1)
      [[ -n $deb ]] && lib_deps "$deb" > "$marker"
    fi
    if [[ -f $marker ]]; then
      # Still make sure its libraries are installed (a new machine may share the cache).
      # shellcheck disable=SC2046
      apt_install $(cat "$marker")
      return 0
    fi
  fi
  mkdir -p "$CACHE/debs" "$PKGROOT"
  rm -f "$CACHE/debs/${pkg}"_*.deb
  # As root, apt warns that the download is unsandboxed; that is harmless.
  if ! (cd "$CACHE/debs" && apt-get download -qq "$pkg" 2>/dev/null); then
    apt_update_once
    (cd "$CACHE/debs" && apt-get download -qq "$pkg")
  fi
  deb=$(find "$CACHE/debs" -maxdepth 1 -name "${pkg}_*.deb" | head -1)
  [[ -n $deb ]] || die "apt-get download $pkg left no .deb in $CACHE/debs"
  deps=$(lib_deps "$deb")
  # shellcheck disable=SC2086
  apt_install $deps
  dpkg-deb -x "$deb" "$PKGROOT"
  echo "$deps" > "$marker"
  log "unpacked $(basename "$deb") into $PKGROOT"
  DID+=("unpacked $(basename "$deb")")
}

apt_install openssl iproute2 util-linux bsdutils passwd procps curl lftp time ca-certificates \
  fonts-wqy-microhei dbus-daemon dbus-bin gnome-keyring libsecret-tools openssh-client putty-tools

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock -w 600 9 || die "another install.sh holds $CACHE/.lock"
deb_extract vsftpd usr/sbin/vsftpd
deb_extract pure-ftpd usr/sbin/pure-ftpd
deb_extract proftpd-core usr/sbin/proftpd
deb_extract proftpd-mod-crypto usr/lib/proftpd/mod_tls.so
deb_extract openssh-server usr/sbin/sshd

# Every program the tests run must find all of its shared libraries.
# (mod_digest, for the checksum tests, comes with proftpd-core.)
for bin in usr/sbin/vsftpd usr/sbin/pure-ftpd usr/bin/pure-pw usr/sbin/proftpd \
           usr/lib/proftpd/mod_tls.so usr/lib/proftpd/mod_digest.so usr/sbin/sshd; do
  [[ -f $PKGROOT/$bin ]] || die "missing $PKGROOT/$bin"
  if unresolved=$(ldd "$PKGROOT/$bin" 2>&1 | grep 'not found'); then
    die "$bin lacks libraries: $unresolved"
  fi
done
flock -u 9
# Run for a user through sudo: the cache goes to that user (the tests only read it).
if [[ -n ${SKIFF_INSTALL_OWNER:-} ]]; then
  chown -R "$SKIFF_INSTALL_OWNER" "$CACHE"
fi

# The system user.
NOLOGIN=/usr/sbin/nologin
if ! getent passwd "$SYS_USER" >/dev/null; then
  useradd --system --user-group --home-dir / --no-create-home --shell "$NOLOGIN" "$SYS_USER"
  log "created system user $SYS_USER"
  DID+=("created user $SYS_USER")
fi
# vsftpd chdir()s to the passwd home before local_root, so it must exist: /.
if [[ "$(getent passwd "$SYS_USER" | cut -d: -f6)" != / ]]; then
  usermod -d / "$SYS_USER"
  DID+=("set the home of $SYS_USER to /")
fi
if [[ "$(getent passwd "$SYS_USER" | cut -d: -f7)" != "$NOLOGIN" ]]; then
  usermod -s "$NOLOGIN" "$SYS_USER"
  DID+=("set the shell of $SYS_USER to $NOLOGIN")
fi
# Set the password unless it already is $SYS_PASS (as a SHA-512 hash openssl can check).
hash=$(getent shadow "$SYS_USER" | cut -d: -f2)
salt=$(cut -d'$' -f3 <<<"$hash")
if [[ $hash != \$6\$* ]] || [[ "$(openssl passwd -6 -salt "$salt" "$SYS_PASS")" != "$hash" ]]; then
  echo "$SYS_USER:$SYS_PASS" | chpasswd -c SHA512
  log "set the password of $SYS_USER"
  DID+=("set the password of $SYS_USER")
fi
# sshd's privilege separation: an unprivileged user and an empty folder owned by root.
if ! getent passwd sshd >/dev/null; then
  useradd --system --no-create-home --home-dir /run/sshd --shell "$NOLOGIN" sshd
  log "created sshd's privilege-separation user sshd"
  DID+=("created user sshd")
fi
mkdir -p /run/sshd && chmod 0755 /run/sshd
# PAM for vsftpd: no /etc/pam.d/skiff-test-vsftpd, so /etc/pam.d/other applies.
[[ -f /etc/pam.d/other ]] || die "/etc/pam.d/other is missing (package libpam-runtime)"
[[ ! -e /etc/pam.d/skiff-test-vsftpd ]] \
  || log "warning: /etc/pam.d/skiff-test-vsftpd exists and replaces /etc/pam.d/other for vsftpd"

if [[ ${#DID[@]} -eq 0 ]]; then
  log "nothing to do: everything was already in place"
else
  log "done in $((SECONDS - START)) s:"
  for d in "${DID[@]}"; do echo "  - $d"; done
fi
# (vsftpd -v writes its version to file descriptor 0.)
log "servers: $("$PKGROOT/usr/sbin/vsftpd" -v 0>&1 2>&1 | head -1 || true);" \
    "$("$PKGROOT/usr/sbin/proftpd" -v 2>&1 | head -1 || true);" \
    "$("$PKGROOT/usr/sbin/sshd" -V 2>&1 | head -1 || true);" \
    "pure-ftpd $(dpkg-deb -f "$(find "$CACHE/debs" -name 'pure-ftpd_*.deb' | head -1)" Version 2>/dev/null || echo '?')"
log "ready: servers under $PKGROOT, user $SYS_USER (uid $(id -u "$SYS_USER"))"
