#!/usr/bin/env bash
# Balancing benchmark on the simulator (the agent's Balancer, gossip ages from GossipSimulation):
# 16 and 1,000 nodes, three policies; writes docs/benchmarks/balance.md and its PNG plots.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -B -pl guest-agent -am test -Dtest=BalanceBenchmarkTest -Dsurefire.failIfNoSpecifiedTests=false \
  -Dbench.full=true -Dbench.out="$PWD/docs/benchmarks"
cat docs/benchmarks/balance.md
