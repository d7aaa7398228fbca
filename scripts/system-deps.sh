#!/usr/bin/env bash
# System libraries Forrás needs from Debian: WeasyPrint's Pango stack and
# libharfbuzz-subset0 (without it WeasyPrint falls back to slow font subsetting).
set -u
packages=()
have_lib() { ldconfig -p 2>/dev/null | grep -q "$1"; }
have_lib libharfbuzz-subset.so.0 || packages+=(libharfbuzz-subset0)
have_lib libpango-1.0.so.0 || packages+=(libpango-1.0-0 libpangoft2-1.0-0)
have_lib libfontconfig.so.1 || packages+=(fontconfig)
fc-list 2>/dev/null | grep -qi "DejaVu Sans" || packages+=(fonts-dejavu-core)
[ ${#packages[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  sudo=""
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  sudo="sudo -n"
else
  echo "note: please install these Debian packages for fast, correct PDFs: ${packages[*]}" >&2
  exit 0
fi
echo "Installing system packages: ${packages[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y -q "${packages[@]}" >/dev/null 2>&1 || {
  $sudo apt-get update -q >/dev/null 2>&1
  $sudo apt-get install -y -q "${packages[@]}" >/dev/null || \
    echo "note: could not install ${packages[*]}; PDFs will be slower" >&2
}
exit 0
