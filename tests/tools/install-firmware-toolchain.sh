#!/usr/bin/env bash
# The firmware's AVR build and emulator tests (tests/test_firmware_protocol.py) need Debian's AVR Arduino toolchain
# and simavr. `make test` installs them where it can (root with apt-get, as in CI); elsewhere those tests skip and
# say which packages to install. Never fails: the rest of the suite does not depend on it.
set -u
packages="gcc-avr avr-libc binutils-avr arduino-core-avr arduino-builder arduino-ctags simavr libsimavr-dev"
command -v dpkg-query >/dev/null 2>&1 || exit 0
missing=""
for package in $packages; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing="$missing $package"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "make test: the firmware's AVR build tests will skip (to run them: sudo apt-get install$missing)"
  exit 0
fi
echo "make test: installing the AVR toolchain for the firmware tests:$missing"
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null; }; then
  echo "make test: could not install$missing; the firmware's AVR build tests will skip"
fi
exit 0
