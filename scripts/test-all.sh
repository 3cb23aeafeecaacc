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
# build; the modules go to ~/.m2 for the end-to-end runs below
mvn -B install -DskipTests -DskipE2E "$@"

# the appliance image from the agent just built (cached outside the clone, keyed by its inputs),
# beside the unit and integration tests, which leave the jars alone; the end-to-end groups below
# start once it is there, so they never build it side by side
logs=vm-manager/target/e2e-logs
rm -rf "$logs" && mkdir -p "$logs"
bin/mosvm image build > "$logs/image.log" 2>&1 & image=$!
if ! mvn -B surefire:test -DskipE2E "$@"; then
  wait "$image" || true
  echo "test-all: unit or integration tests failed (above); no end-to-end tests" >&2
  exit 1
fi
if ! wait "$image"; then
  cat "$logs/image.log"
  echo "test-all: the appliance image did not build (above); no end-to-end tests" >&2
  exit 1
fi
tail -n 3 "$logs/image.log"
e2e() { # GROUP MAVEN-ARGS...: one group's end-to-end classes, its output also in $logs/GROUP.log
  local group=$1; shift
  mvn -B -pl vm-manager failsafe:integration-test failsafe:verify -De2e.group=-"$group" "$@" 2>&1 | tee "$logs/$group.log"
}

# the host's CPU while the groups run, a line a minute: where the end-to-end time goes (idle
# cores mean room for more side by side; none, that only less work shortens the run)
vmstat -n -t 60 > "$logs/vmstat.log" 2>&1 & vmstat=$! # (its first line is since boot)
trap 'kill "$vmstat" 2>/dev/null || true' EXIT

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
  # the first failure whole: its message (a failed command's stderr) is where the cause is
  awk '/<<< (ERROR|FAILURE)!$/ { on = 1 } on && n++ < 40' "$logs/$g.log"
done
awk 'NR > 3 && $15 ~ /^[0-9]+$/ { n++; idle += $15 } END { if (n) printf "host CPU idle while they ran: %.0f %% on average over %d min (per minute: %s)\n", idle / n, n, FILENAME }' "$logs/vmstat.log"
exit "$rc"
