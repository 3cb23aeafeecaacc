#!/usr/bin/env bash
# The whole test suite: unit and integration tests, then the end-to-end tests that build the
# appliance (cached) and boot real appliance VMs through libvirtd under QEMU. Run as root on
# Debian 12. Extra arguments go to every Maven run (-o, -DskipE2E, ...).
#
# The end-to-end classes run in three groups, by JUnit tag (vm-manager/.../e2e/E2eGroups.java):
# the pool of two's classes, in their order, and beside them in a second JVM the classes that
# boot one VM at a time (two guests and one: the most two host cores run); then every other
# class, alone. Plain `mvn verify` runs the same classes one after the other.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-host.sh
# build, unit and integration tests; the modules go to ~/.m2 for the end-to-end runs below
mvn -B install -DskipE2E "$@"

logs=vm-manager/target/e2e-logs
rm -rf "$logs" && mkdir -p "$logs"
e2e() { # GROUP MAVEN-ARGS...: one group's end-to-end classes, its output also in $logs/GROUP.log
  local group=$1; shift
  mvn -B -pl vm-manager failsafe:integration-test failsafe:verify -De2e.group=-"$group" "$@" 2>&1 | tee "$logs/$group.log"
}

rc=0
e2e one-vm -Dgroups=one-vm "$@" > /dev/null & beside=$!
e2e pool-of-two -Dgroups=pool-of-two "$@" || rc=1
wait "$beside" || rc=1
echo "== the one-VM classes ran beside the pool of two's; their output, in $logs/one-vm.log:"
cat "$logs/one-vm.log"
e2e others -DexcludedGroups=pool-of-two,one-vm "$@" || rc=1

echo "== end-to-end groups"
for g in pool-of-two one-vm others; do
  echo "$g: $(grep -E '^\[(INFO|ERROR|WARNING)\] Tests run: [0-9]+, Failures: [0-9]+, Errors: [0-9]+, Skipped: [0-9]+$' "$logs/$g.log" | tail -1 || echo 'no results')"
  grep -E '^\[ERROR\]   [A-Za-z]' "$logs/$g.log" || true
done
exit "$rc"
