#!/usr/bin/env bash
# Installs, with apt-get, every Debian 12 package vm-capture needs to build, test and run
# its lab. Does nothing when all are present. Run as root (or with sudo available).
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkg-config
  # libraries
  gsoap libgsoap-dev libssl-dev libpcap-dev libyaml-cpp-dev libspdlog-dev libfmt-dev
  libssh-dev libcli11-dev nlohmann-json3-dev zlib1g-dev libtins-dev
  # tests
  libgtest-dev libgmock-dev tshark openssh-client time python3 curl
  # the boot report's JSON checked against its schema (src/report/report_json_test.cc)
  python3-jsonschema
  # sanitizers and fuzzing (clang's libFuzzer, ASan/UBSan/TSan runtimes, the symbolizer
  # for their reports; PyYAML turns ../shared's recorded replies into fuzz seeds)
  clang libclang-rt-14-dev llvm python3-yaml
  # the lab (Go, govmomi simulator, x/crypto/ssh; BusyBox is the simulated ESXi hosts' shell)
  golang-go golang-github-vmware-govmomi-dev golang-golang-x-crypto-dev busybox
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "deps: installing ${#missing[@]} missing package(s): ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done" >&2
