#!/usr/bin/env bash
# Full appliance benchmark: 3 boots, 60 s idle each; prints the Markdown section for docs/benchmarks.md.
# Needs what the tests need (root, libvirtd: scripts/start-libvirt.sh). About 6 minutes under TCG.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -B -pl vm-manager -am verify -Dit.test=ApplianceBenchmarkIT -Dsurefire.skip=true -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false \
  -Dbench.runs="${BENCH_RUNS:-3}" -Dbench.idleSeconds="${BENCH_IDLE:-60}" \
  -Dbench.report="$PWD/vm-manager/target/benchmarks/appliance.md"
cat vm-manager/target/benchmarks/appliance.md
echo "(copy the section into docs/benchmarks.md)"
