#!/usr/bin/env bash
# Full appliance benchmark: 3 boots, 60 s idle each; writes docs/benchmarks/appliance.md.
# Needs what the tests need (root, libvirtd: scripts/start-libvirt.sh). About 6 minutes under TCG.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -B -pl vm-manager -am verify -Dit.test=ApplianceBenchmarkIT -Dsurefire.skip=true -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false \
  -Dbench.runs="${BENCH_RUNS:-3}" -Dbench.idleSeconds="${BENCH_IDLE:-60}" \
  -Dbench.report="$PWD/docs/benchmarks/appliance.md"
cat docs/benchmarks/appliance.md
