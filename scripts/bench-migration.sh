#!/usr/bin/env bash
# Migration benchmark: 10 MiB and 500 MiB jobs, stop-and-copy and pre-copy, against a raw
# transfer of the same bytes between the same two appliance VMs; prints the Markdown section
# for docs/benchmarks.md. Needs what the tests need (root, libvirtd: scripts/start-libvirt.sh).
# BENCH_SIZES (MiB, default 10,500) and BENCH_MODES (default stop-and-copy,pre-copy-eager,pre-copy) pick the rows;
# BENCH_PAGE_STREAMS (sealed, the default, or plain) is how the benchmark's pool is founded (mosvm pool init --page-streams);
# BENCH_OVERLAY=wireguard founds it on the WireGuard overlay, and the raw transfers then run over the overlay and over the
# appliances' own network (the overlay's cost, in the same run).
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -B -pl vm-manager -am verify -Dit.test=MigrationBenchmarkIT -Dsurefire.skip=true -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false \
  -Dbench.sizes="${BENCH_SIZES:-10,500}" -Dbench.modes="${BENCH_MODES:-stop-and-copy,pre-copy-eager,pre-copy}" -Dpool.pageStreams="${BENCH_PAGE_STREAMS:-sealed}" -Dpool.overlay="${BENCH_OVERLAY:-}" -Dbench.report="$PWD/vm-manager/target/benchmarks/migration.md"
cat vm-manager/target/benchmarks/migration.md
echo "(copy the section into docs/benchmarks.md)"
