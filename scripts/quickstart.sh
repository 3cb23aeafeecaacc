#!/usr/bin/env bash
# One command from a fresh machine to a pool that balances itself: sets the host up, builds the
# appliance image on first use (cached in ~/.cache/mosvm), boots three appliances with unequal
# CPU caps (demo-a 100 %, demo-b 60 %, demo-c 40 % of a host CPU), joins them into pool "demo",
# then starts CPU-bound jobs on the slowest node and shows `mosvm mon` while the balancer
# migrates them to the faster nodes, and checks every job's output.
#
#   scripts/quickstart.sh          bring the pool up (or reuse it) and run the demonstration
#   scripts/quickstart.sh --down   tear the pool down again (destroys the three VMs)
set -euo pipefail
cd "$(dirname "$0")/.."
NODES=(demo-a demo-b demo-c)
CAPS=(100 60 40)
JOBS=${DEMO_JOBS:-6}

if [ "${1:-}" = "--down" ]; then
  for n in "${NODES[@]}"; do bin/mosvm destroy "$n" || true; done
  exit 0
fi
if [ $# -gt 0 ]; then
  echo "usage: scripts/quickstart.sh [--down]" >&2
  exit 2
fi

scripts/setup-host.sh
for i in 0 1 2; do
  echo "== ${NODES[$i]} (CPU cap ${CAPS[$i]} %)"
  # a second run reuses the appliances: `up` starts a stopped one and refuses a running one
  if bin/mosvm status "${NODES[$i]}" --json 2>/dev/null | grep -qi '"state" : "running"'; then
    echo "already running"
  else
    bin/mosvm up "${NODES[$i]}" --memory 768M --cpu-cap "${CAPS[$i]}" --mount none | head -1   # the demo needs no host folders
  fi
done

if ! bin/mosvm nodes -i demo-a --json | grep -q '"pool" : "demo"'; then
  token=$(bin/mosvm pool init -i demo-a --name demo --page-streams plain --token-uses 2 | sed -n 's/^join token.*: //p')
  address=$(bin/mosvm status demo-a --json | sed -n 's/.*"address" : "\(.*\)".*/\1/p' | head -1)
  for n in demo-b demo-c; do bin/mosvm join "$address" --token "$token" -i "$n"; done
fi
for n in "${NODES[@]}"; do bin/mosvm balance -i "$n" on >/dev/null; done
echo "== waiting for every node to mount demo-c's shared directory"
for n in demo-a demo-b; do
  until bin/mosvm ssh -i "$n" -- grep -q ' /pool/demo-c nfs4 ' /proc/mounts; do sleep 2; done
done

# The job: a deterministic CPU-bound loop, sized here to about DEMO_SECONDS (default 8) on the
# uncapped node, since machines differ: long enough that the balancer (which leaves jobs younger
# than 20 s alone) has something worth moving.
spin='my ($n) = @ARGV; my $x = 1; for my $i (1 .. $n) { $x = ($x * 31 + $i) % 1000003 } print "$x\n";'
dir=/pool/demo-c/demo
# the jobs are a user's, demo's: root's jobs stay on their home node
bin/mosvm ssh -i demo-c -- bash -c "id demo >/dev/null 2>&1 || useradd -m -u 1500 demo; mkdir -p $dir && chown demo: $dir && cd $dir && rm -f job.* && printf '%s\n' '$spin' > spin.pl"
# milliseconds one job of $1 steps takes alone on demo-a, from a directory of its own (a job starts only in its home's tree)
adir=/pool/demo-a/demo
bin/mosvm ssh -i demo-a -- bash -c "mkdir -p $adir && printf '%s\n' '$spin' > $adir/spin.pl"
time_on_a() {
  bin/mosvm ssh -i demo-a -- bash -c "cd $adir && s=\$(date +%s%N) && mosrun -L perl spin.pl $1 >/dev/null && echo \$(( (\$(date +%s%N) - s) / 1000000 ))"
}
steps=${DEMO_STEPS:-}
if [ -z "$steps" ]; then
  target=$(( ${DEMO_SECONDS:-8} * 1000 ))
  echo "== sizing the job to about $(( target / 1000 )) s on demo-a"
  time_on_a 10000 >/dev/null # the agent's first job takes its cold start path
  steps=1000000
  for _ in 1 2; do steps=$(( steps * target / $(time_on_a "$steps") )); [ "$steps" -ge 200000 ] || steps=200000; done
  echo "   $steps steps: $(time_on_a "$steps") ms on demo-a alone"
fi
expected=$(perl -e "$spin" "$steps")
run="cd $dir && for i in \$(seq $JOBS); do (mosrun -h perl spin.pl $steps > job.\$i.out 2>&1; echo \$? > job.\$i.status) & done; wait"
# only the job runner goes to the background, so ssh returns at once
bin/mosvm ssh -i demo-c -- bash -c "cd $dir && printf '%s\n' '$run' > run.sh && { setsid nohup runuser -u demo -- sh run.sh >/dev/null 2>&1 </dev/null & }"
echo "== $JOBS jobs started on demo-c, the slowest node; mosvm mon -i demo-a every 10 s until they end"
start=$(date +%s)
while true; do
  sleep 10
  bin/mosvm mon -i demo-a --once --width 110 || true
  # read demo-c's files through demo-a's NFS mount: demo-c is saturated and slow to answer ssh
  done_jobs=$(bin/mosvm ssh -i demo-a -- bash -c "ls $dir/job.*.status 2>/dev/null | wc -l")
  [ "$done_jobs" -ge "$JOBS" ] && break
done
wall=$(( $(date +%s) - start ))

bad=0
for i in $(seq "$JOBS"); do
  got=$(bin/mosvm ssh -i demo-a -- bash -c "cat $dir/job.$i.out; echo status \$(cat $dir/job.$i.status)")
  if [ "$got" != "$expected
status 0" ]; then echo "job $i: wrong output: $got"; bad=1; fi
done
moves=$(bin/mosvm nodes -i demo-a --json | grep -c '"reason" : "balanced"' || true)
echo
echo "== all $JOBS jobs finished in ${wall} s; $moves balanced migration(s); output $([ $bad = 0 ] && echo correct || echo WRONG)"
[ "$moves" -gt 0 ] || echo "   no job migrated this time: see bin/mosvm nodes -i demo-a for the speeds each node gossips"
cat <<TXT

Next:  bin/mosvm mon -i demo-a            live monitor (q quits)
       bin/mosvm run -i demo-c -u demo -- perl $dir/spin.pl $steps     one more job from demo-c, placed by its agent
       bin/mosvm ps -i demo-a              every job in the pool, and why it is where it is
       scripts/quickstart.sh --down        destroy the three VMs
TXT
exit $bad
