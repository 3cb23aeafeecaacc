#!/usr/bin/env bash
# Home's tree benchmark (docs/ssi.md): a job's start on another node against at home, and a
# remote job reading and writing BENCH_MIB mebibytes (default 200, the issue's) in its home's
# tree against a raw TCP transfer between the same two appliances; prints the Markdown table
# for docs/benchmarks.md. Needs what the tests need (root, libvirtd: scripts/start-libvirt.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -B -pl vm-manager -am verify -Dit.test=HomeTreeBenchmarkIT -Dsurefire.skip=true -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false \
  -Dbench.ssiMib="${BENCH_MIB:-200}" -Dbench.ssiStarts="${BENCH_STARTS:-7}" -Dbench.report="$PWD/vm-manager/target/benchmarks/ssi.md"
cat vm-manager/target/benchmarks/ssi.md
echo "(copy the table into docs/benchmarks.md)"
