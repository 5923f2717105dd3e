#!/usr/bin/env bash
# The split of `capture` into an executable and its commands module
# (src/launcher/commands_module.h), checked on the built binary:
#
#   module_test.sh standalone   `capture` copied alone into an empty directory: merge
#                               works (and its help, and --version), the executable needs
#                               none of the
#                               vSphere/SSH/YAML libraries, every other command fails
#                               naming the module path it expected
#   module_test.sh installed    `cmake --install` into a temporary prefix: the installed
#                               bin/capture finds lib*/vm-capture/libvmc-commands.so
#
# Environment (set by ctest): CAPTURE (the built executable), GEN and CMP (bench tools),
# WORK (scratch directory), BUILD (build tree), SRC (source tree).
set -euo pipefail
mode=$1
fail() { echo "FAIL: $*" >&2; exit 1; }

rm -rf "$WORK"
mkdir -p "$WORK/in"
"$GEN" "$WORK/in" 3 2000 >/dev/null
inputs=("$WORK"/in/in0.pcap "$WORK"/in/in1.pcap "$WORK"/in/in2.pcap)

case $mode in
standalone)
  mkdir -p "$WORK/bin"
  cp "$CAPTURE" "$WORK/bin/capture"
  alone=$WORK/bin/capture

  "$alone" merge "${inputs[@]}" -w "$WORK/alone.pcapng" || fail "merge without the module"
  "$CAPTURE" merge "${inputs[@]}" -w "$WORK/full.pcapng"
  "$CMP" "$WORK/alone.pcapng" "$WORK/full.pcapng" | grep -q '^SAME: 6000 frames' ||
    fail "merge without the module wrote other frames"
  "$alone" merge --help | grep -q 'Usage: .*capture merge \[OPTIONS\] IN\.\.\.' ||
    fail "merge --help without the module"

  needed=$(readelf -d "$CAPTURE" | awk '/NEEDED/ { print $NF }' | tr -d '[]' | tr '\n' ' ')
  echo "capture needs: $needed"
  for lib in gsoap ssh yaml-cpp libssl libcrypto krb5 gssapi; do
    [[ $needed != *"$lib"* ]] || fail "capture links $lib"
  done

  "$alone" --version | grep -q '^capture ' || fail "--version without the module"
  for cmd in "--help" "-h" "status" "cleanup" "vm testvm1" "plan check x.yaml" \
             "--json merge ${inputs[0]} -w $WORK/x.pcapng"; do
    # shellcheck disable=SC2086 # the words of $cmd are separate arguments
    if out=$("$alone" $cmd 2>&1); then fail "capture $cmd succeeded without the module"; fi
    [[ $out == *"$WORK/bin/libvmc-commands.so"* ]] ||
      fail "capture $cmd: error does not name the module path: $out"
  done
  echo "capture status (no module): $("$alone" status 2>&1 || :)"
  # A merge mistake is reported by the merge command itself, as a usage error (2).
  rc=0
  out=$("$alone" merge "${inputs[0]}" 2>&1) || rc=$?
  [[ $rc == 2 && $out == *"--write is required"* ]] || fail "merge without -w: exit $rc: $out"
  ;;
installed)
  prefix=$WORK/prefix
  cmake --install "$BUILD" --prefix "$prefix" --component Unspecified >/dev/null
  module=$(find "$prefix" -name libvmc-commands.so)
  [[ -n $module ]] || fail "no module installed under $prefix"
  echo "installed: $prefix/bin/capture, $module"
  [[ ! -e $prefix/bin/libvmc-commands.so ]] || fail "module installed beside the executable"
  "$prefix/bin/capture" --version | grep -q '^capture ' || fail "installed capture --version"
  (cd "$SRC" && "$prefix/bin/capture" plan check examples/*.yaml >/dev/null) ||
    fail "installed capture plan check"
  "$prefix/bin/capture" merge "${inputs[@]}" -w "$WORK/out.pcapng"
  "$CMP" "$WORK/out.pcapng" "$WORK/out.pcapng" | grep -q '^SAME: 6000 frames' ||
    fail "installed capture merge"
  ;;
*)
  fail "unknown mode $mode"
  ;;
esac
echo "OK: $mode"
