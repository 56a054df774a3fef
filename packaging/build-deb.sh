#!/usr/bin/env bash
# packaging/build-deb.sh [--validate] [--test-build]: builds target/debian/skiff_<version>_<arch>.deb
# with cargo-deb (installed when missing) from a build of the `dist` profile (release with
# fat LTO). --test-build packages the binary `cargo test` built instead (target/debug/skiff,
# no new compile): CI checks the package's layout that way, not the optimiser. With
# --validate, unpacks the .deb into a temporary root with dpkg -x and checks the desktop
# entry (desktop-file-validate), the AppStream metainfo (appstreamcli validate --no-net), the ftp:// scheme handlers and that the
# binary, icons and files named in the desktop entry are where they say.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
validate=false profile=release
for arg in "$@"; do
  case "$arg" in
    --validate) validate=true ;;
    --test-build) profile=dev ;;
    *) echo "usage: packaging/build-deb.sh [--validate] [--test-build]" >&2; exit 2 ;;
  esac
done
command -v cargo-deb >/dev/null || cargo install cargo-deb --locked
rm -f target/debian/skiff_*.deb target/debian/skiff-dbgsym_*.ddeb
if [[ $profile == release ]]; then
  # The `dist` profile (Cargo.toml): release with fat LTO.
  cargo build --profile dist --locked
  cargo deb --no-build --profile dist
else
  # The binary `cargo test` built and ran (a plain `cargo build` would build it again: the
  # tests' dev-dependencies turn on other features of eframe's crates). Stripped (the debug
  # line tables would make the package slow to compress), it is staged where cargo-deb
  # looks for a release binary, in a target folder of its own.
  [[ -x target/debug/skiff ]] || cargo build --locked
  stage=$(mktemp -d)
  mkdir -p "$stage/release" target/debian
  strip -o "$stage/release/skiff" target/debug/skiff
  CARGO_TARGET_DIR="$stage" cargo deb --no-build --fast --no-dbgsym
  mv "$stage"/debian/skiff_*.deb target/debian/
  rm -rf "$stage"
fi
deb=$(ls -t target/debian/skiff_*.deb | head -n 1)
echo "built $deb"
$validate || exit 0

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
dpkg -x "$deb" "$root"
desktop="$root/usr/share/applications/dev.skiff.Skiff.desktop"
metainfo="$root/usr/share/metainfo/dev.skiff.Skiff.metainfo.xml"
desktop-file-validate "$desktop"
appstreamcli validate --no-net "$metainfo"
for scheme in ftp ftps ftpes; do
  grep -q "x-scheme-handler/$scheme;" "$desktop" || { echo "no handler for $scheme://" >&2; exit 1; }
done
exec_bin=$(sed -n 's/^Exec=\([^ ]*\).*/\1/p' "$desktop")
[[ -x "$root/usr/bin/$exec_bin" ]] || { echo "Exec=$exec_bin is not in /usr/bin" >&2; exit 1; }
icon=$(sed -n 's/^Icon=//p' "$desktop")
for size in 16x16 32x32 48x48 128x128 256x256 512x512; do
  [[ -s "$root/usr/share/icons/hicolor/$size/apps/$icon.png" ]] || { echo "icon $size missing" >&2; exit 1; }
done
[[ -s "$root/usr/share/icons/hicolor/scalable/apps/$icon.svg" ]]
"$root/usr/bin/skiff" --version
# Shipped stripped (the debug line tables live in the -dbgsym package), and small.
if readelf -S "$root/usr/bin/skiff" | grep -Eq '\.debug_(info|line)'; then
  echo "/usr/bin/skiff carries debug sections: it must ship stripped" >&2; exit 1
fi
installed_kib=$(dpkg-deb --field "$deb" Installed-Size)
# (The test build's binary is unoptimised: three times the size of a release one.)
# Issue 18: the package installs in 40 MB (decimal: 39,062 KiB).
if [[ $profile == release ]] && (( installed_kib * 1024 > 40000000 )); then
  echo "Installed-Size $installed_kib KiB is over 40 MB" >&2; exit 1
fi
echo "binary $(stat -c %s "$root/usr/bin/skiff") bytes, Installed-Size $installed_kib KiB, package $(stat -c %s "$deb") bytes"
for ddeb in target/debian/skiff-dbgsym_*.ddeb; do
  [[ -f $ddeb ]] && echo "debug symbols: $ddeb ($(stat -c %s "$ddeb") bytes)"
done
dpkg-deb --info "$deb" | sed -n 's/^ \(Package\|Version\|Depends\|Recommends\):/\1:/p'
echo "validated $deb"
