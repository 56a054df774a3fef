#!/usr/bin/env bash
# bench/all.sh [RUNS] — every benchmark of issue 18 in one go, then one table of the figures
# and ratios, so a regression shows in one run: 1 GiB get/put plain and over explicit TLS
# against curl (bench/big.sh; the plain get with 7 runs), 1,000 small files both ways with
# 4 and 1 connections against lftp mirror (bench/mirror.sh), SFTP against OpenSSH's sftp
# (bench/sftp.sh), a sync of 10,000 files with 1% changed against lftp mirror --only-newer
# (bench/sync.sh), the window with 100,000-entry
# folders (benches/gui_frames.rs, bench/window.sh) and the package's footprint
# (packaging/build-deb.sh). Needs root (vsftpd chroots) and tests/servers/install.sh.
# Takes about a quarter of an hour on 2 cores, after the release build.
set -euo pipefail
RUNS=${1:-5}
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
results=$(mktemp)
trap 'rm -f "$results"' EXIT
step() { echo "== $*" >&2; }

step "1 GiB plain get, 7 runs"
bash bench/big.sh 7 get | tee -a "$results"
step "1 GiB put, and get/put over TLS, $RUNS runs"
bash bench/big.sh "$RUNS" put,tls-get,tls-put | tee -a "$results"
step "1,000 small files, $RUNS runs"
bash bench/mirror.sh "$RUNS" | tee -a "$results"
step "SFTP against OpenSSH's sftp and scp, $RUNS runs"
bash bench/sftp.sh "$RUNS" | tee -a "$results"
step "sync of 10,000 files, 1% changed, against lftp mirror --only-newer, $RUNS runs"
bash bench/sync.sh "$RUNS" | tee -a "$results"
step "the window: first frame and memory"
bash bench/window.sh | tee -a "$results"
step "the window's frames with 100,000 entries"
cargo bench --quiet --bench gui_frames 2>/dev/null | tee -a "$results"
step "the package"
bash packaging/build-deb.sh --validate | tee -a "$results"

echo
echo "Skiff benchmarks, $(date -u +%F), $(nproc) cores, $(git rev-parse --short HEAD)"
echo "| what | figures |"
echo "|---|---|"
sed -n 's/^case \(.*\)$/| \1 |/p' "$results"
sed -n 's/^\(binary .* bytes, Installed-Size .*\)$/| package | \1 |/p' "$results"
