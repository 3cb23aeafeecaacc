#!/usr/bin/env bash
# Where a placed batch's time goes, on the quickstart's pool (run scripts/quickstart.sh first):
# COUNT jobs `mosrun perl spin.pl STEPS` submitted at once on demo-c (40 % cap), placed by its
# agent. Each job records when and on which node it started and ended; the table gives, per
# job, its submission, start, end and the caller's return, in seconds from the batch's start,
# then the makespan and its ratio to the caps' bound (STEPS timed alone on demo-a), and to the
# bound from what the three VMs get of the host when all are busy (timed after the batch).
#
#   scripts/bench-placement.sh [COUNT] [STEPS]     defaults: 12 jobs, about 6.5 s each on demo-a
#   JOB_MS=40000 scripts/bench-placement.sh         jobs sized to about 40 s on demo-a instead
#   MOSRUN_OPTS=-h scripts/bench-placement.sh       start every job at home (demo-c): balancing alone spreads them
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-12}
STEPS=${2:-}
JOB_MS=${JOB_MS:-6500}
MOSRUN_OPTS=${MOSRUN_OPTS:-}
dir=/pool/demo-c/bench
ssh_() { bin/mosvm ssh -i "$1" -- bash -c "$2"; }

# the job (as in scripts/quickstart.sh): deterministic, CPU-bound; its output is checked against the host's
spin='my ($n) = @ARGV; my $x = 1; for my $i (1 .. $n) { $x = ($x * 31 + $i) % 1000003 } print "$x\n";'
# the jobs are a user's, demo's: root's jobs stay on their home node
printf '%s\n' "$spin" | ssh_ demo-c "id demo >/dev/null 2>&1 || useradd -m -u 1500 demo; mkdir -p $dir && chown demo: $dir && cd $dir && rm -f t.* r.* o.* batch.* && cat > spin.pl"
ssh_ demo-c "cd $dir && cat > job.sh" <<'SH'
i=$1; n=$2
echo "$(date +%s.%N) $(hostname)" > t.$i
perl spin.pl $n
echo "$(date +%s.%N) $(hostname)" >> t.$i
SH
ssh_ demo-c "cd $dir && cat > batch.sh" <<'SH'
count=$1; n=$2; shift 2
date +%s.%N > batch.start
i=1
while [ $i -le $count ]; do
  ( s=$(date +%s.%N); mosrun "$@" sh job.sh $i $n > o.$i 2>&1; echo "$s $(date +%s.%N) $?" > r.$i ) &
  i=$((i + 1))
done
wait
date +%s.%N > batch.tmp && mv batch.tmp batch.end
SH

# milliseconds STEPS take on NODE, run there as a pinned job
time_on() { ssh_ "$1" "cd $dir && s=\$(date +%s%N) && mosrun -L perl spin.pl $2 >/dev/null && echo \$(( (\$(date +%s%N) - s) / 1000000 ))"; }
if [ -z "$STEPS" ]; then
  time_on demo-a 10000 >/dev/null
  STEPS=$(( 1000000 * JOB_MS / $(time_on demo-a 1000000) ))
fi
ms=$(time_on demo-a "$STEPS")
expected=$(perl -e "$spin" "$STEPS")
echo "== $COUNT jobs of $STEPS steps ($ms ms alone on demo-a) submitted on demo-c with mosrun $MOSRUN_OPTS"
ssh_ demo-c "cd $dir && { setsid nohup runuser -u demo -- sh batch.sh $COUNT $STEPS $MOSRUN_OPTS >/dev/null 2>&1 </dev/null & }"
sleep 20
# demo-c is saturated: read its files through demo-a's NFS mount
until ssh_ demo-a "test -f $dir/batch.end"; do sleep 5; done
# what the host delivers with all three busy at once (the caps sum to both of its cores, and
# emulation itself needs CPU): a quarter of the job on every node together, each timed in its VM
probe=$(( STEPS / 4 ))
together=$(mktemp -d)
alone=$(time_on demo-a "$probe")
for n in demo-a demo-b demo-c; do
  time_on $n "$probe" > "$together/$n" &
done
wait
capacity=$(perl -e 'my $a = shift; my $c = 0; $c += $a / $_ for @ARGV; printf "%.3f", $c' "$alone" $(cat "$together"/demo-a "$together"/demo-b "$together"/demo-c))
echo "together: $probe steps took $(cat "$together"/demo-a) / $(cat "$together"/demo-b) / $(cat "$together"/demo-c) ms on demo-a / b / c ($alone ms on demo-a alone): $capacity demo-a CPUs in all (the caps say 2.0)"
rm -rf "$together"
ssh_ demo-a "cd $dir; cat batch.start batch.end; for i in \$(seq $COUNT); do echo \$i \$(cat r.\$i) \$(cat t.\$i | tr '\n' ' ') \$(cat o.\$i); done" |
  awk -v w="$ms" -v n="$COUNT" -v expected="$expected" -v capacity="$capacity" '
    NR == 1 { s = $1; next }
    NR == 2 { span = $1 - s; next }
    { if ($4 != 0 || $9 != expected) bad++
      printf "job %2d  submitted %5.1f  started %5.1f on %-7s ended %5.1f on %-7s returned %5.1f  status %s  output %s\n",
        $1, $2 - s, $5 - s, $6, $7 - s, $8, $3 - s, $4, $9 }
    END { bound = n * w / 1000 / 2.0; if (bound < w / 1000) bound = w / 1000
          printf "makespan %.1f s; bound from the caps (100+60+40 %%) %.1f s; ratio %.2f\n", span, bound, span / bound
          real = n * w / 1000 / capacity; if (real < w / 1000) real = w / 1000
          printf "bound from what the host delivered with all three busy (%.2f CPUs) %.1f s; ratio %.2f\n", capacity, real, span / real
          if (bad) { printf "%d job(s) with a wrong status or output\n", bad; exit 1 } }'
