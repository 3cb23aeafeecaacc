#!/usr/bin/env bash
# Gossip benchmark on the simulator, 16 to 10,000 nodes (about 15 minutes on 2 cores);
# writes docs/gossip.md's figures and docs/gossip-ages.png.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -B -pl guest-agent -am test -Dtest=GossipBenchmarkTest -Dsurefire.failIfNoSpecifiedTests=false \
  -Dbench.full=true -Dbench.out="$PWD/docs/benchmarks"
cat docs/benchmarks/gossip.md
