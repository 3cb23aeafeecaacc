#!/usr/bin/env bash
# Checkpoint benchmark: a 200 MiB job dirtying 10 % of its memory a minute, run on one appliance
# from its home on another, alone and with `mosrun -A 1`; prints the Markdown row for
# docs/benchmarks.md (run time with and without, each checkpoint's pages and freeze).
# Needs what the tests need (root, libvirtd: scripts/start-libvirt.sh).
# BENCH_MIB (default 200) and BENCH_STEPS (the job's work, default 40000: several minutes under TCG) size it.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -B -pl vm-manager -am verify -Dit.test=CheckpointBenchmarkIT -Dsurefire.skip=true -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false \
  -Dbench.checkpointMib="${BENCH_MIB:-200}" -Dbench.checkpointSteps="${BENCH_STEPS:-40000}" -Dbench.full=true -Dbench.report="$PWD/vm-manager/target/benchmarks/checkpoint.md"
cat vm-manager/target/benchmarks/checkpoint.md
echo "(copy the row into docs/benchmarks.md)"
