#!/usr/bin/env bash
# Fault campaign (issue 22, item 6): migrates a deterministic job between two appliance VMs
# over and over while injecting one fault per migration at a random moment of it, then node
# losses under a checkpointed and an unprotected job, and checks after each round what a user
# must be able to count on: the job runs in exactly one place or ended once, with exactly the
# unbroken run's lines and status (or, where its node was destroyed under an unprotected job,
# the one-line "lost" error and 125); no job process or cgroup left behind on any node; every
# caller (the `migrate` and the job's `mosrun`) answered within 120 s of the fault.
#
#   scripts/fault-campaign.sh [--migrations N] [--losses N] [--seed S] [--kinds K1,K2,...]
#                             [--nodes A,B] [--job-seconds S] [--window S] [--report FILE] [--results FILE] [--logs DIR] [--keep] [--down]
#
# Defaults: 200 faulted migrations, 20 node losses, seed from $RANDOM, every kind, jobs of about 60 s, nodes
# fc-a,fc-b (booted here if absent, 1 vCPU and 1 GiB each, pool "fc", balancers off), report
# target/fault-campaign.md; --results FILE gets one tab-separated line a round (round, fault, point, outcome,
# migrate s, caller s, caller late 0/1, unmanaged 0/1, detail) for tests to read; a round that goes wrong
# leaves both agents' journals since its start in --logs DIR (default target/fault-campaign-logs). --keep leaves the VMs up at the end (they are destroyed otherwise,
# if this run booted them); --down destroys them and exits. Instances live in $MOSVM_HOME and
# their domains are named $MOSVM_DOMAIN_PREFIX + node (set both to keep beside other pools, e.g.
# MOSVM_HOME=/tmp/fc MOSVM_DOMAIN_PREFIX=mosvm-fc-). Needs root and libvirtd (scripts/start-libvirt.sh)
# and built jars (mvn -q -DskipTests package).
#
# Fault kinds (one per round, the victim being the migration's target unless said otherwise):
#   kill-target-agent   SIGKILL to the target's agent JVM alone (systemctl kill --kill-whom=main; systemd restarts it)
#   kill-source-agent   the same on the source
#   destroy-target      virsh destroy of the target's domain (always a non-home target); `up` again after the round
#   pause-15, pause-45  virsh suspend of the source or the target (random) for 15 / 45 s (45 s is past the
#                       dead threshold: a paused node other than home may have its job end with the documented 125)
#   block-15, block-45  the agents' peer port (TCP 7444) dropped on the target for 15 / 45 s (tc ingress filter
#                       that a guest-side timer removes; the round removes it again to be sure)
#   fill-scratch        the target's migration image tmpfs (/run/mosvm/images) filled for 20 s, then freed (filled
#                       up to the guest's available memory less 128 MiB where that is less: the tmpfs is RAM)
#   kill-criu           `pkill -KILL -x criu` on the source or the target (random), tried for up to 5 s; the job
#                       is checkpointed once before its move, because a criu killed inside the job's parasite
#                       kills the job (SIGTRAP) and only a checkpoint brings it back: the round is ok when it
#                       does, with the unbroken run's exact output
# and the node losses (their own rounds, after the migrations):
#   loss-checkpointed   a job on B (home A) checkpointed once, then B destroyed: recovered at home, exact output
#   loss-unprotected    the same without a checkpoint: the caller gets the one-line "lost" error and 125
# Each fault lands at a random offset within 1.3 times the typical move (measured by two clean moves first), or
# within --window S seconds of the move's start (a short window puts most faults inside the move).
set -uo pipefail
cd "$(dirname "$0")/.."

MIGRATIONS=200
JOB_S=60
LOSSES=20
SEED=$RANDOM
KINDS=all
NODES=fc-a,fc-b
REPORT=target/fault-campaign.md
ROUNDS_FILE=/dev/null
LOGS=target/fault-campaign-logs
KEEP=0
DOWN=0
WINDOW=
while [ $# -gt 0 ]; do
  case "$1" in
    --migrations) MIGRATIONS=$2; shift 2 ;;
    --losses) LOSSES=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --job-seconds) JOB_S=$2; shift 2 ;;
    --kinds) KINDS=$2; shift 2 ;;
    --window) WINDOW=$2; shift 2 ;;
    --nodes) NODES=$2; shift 2 ;;
    --report) REPORT=$2; shift 2 ;;
    --results) ROUNDS_FILE=$2; shift 2 ;;
    --logs) LOGS=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --down) DOWN=1; shift ;;
    *) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done
if [ -n "$WINDOW" ] && ! [[ $WINDOW =~ ^[0-9]+(\.[0-9]+)?$ ]]; then echo "fault-campaign.sh: --window wants seconds, not '$WINDOW'" >&2; exit 2; fi
ALL_KINDS="kill-target-agent kill-source-agent destroy-target pause-15 pause-45 block-15 block-45 fill-scratch kill-criu"
[ "$KINDS" = all ] && KINDS=${ALL_KINDS// /,}
IFS=, read -r A B <<<"$NODES"
PREFIX=${MOSVM_DOMAIN_PREFIX:-mosvm-}
PEER_PORT=7444          # dev.mosvm.agent.jobs.PeerDirectory.PORT
SCRATCH=/run/mosvm/images   # dev.mosvm.agent.layout.GuestLayout.MIGRATION_IMAGES
DIR=/pool/$A/fc
WAIT_LIMIT=120          # every caller answered within this many seconds of the fault
RANDOM=$SEED

mosvm() { timeout 300 bin/mosvm "$@"; }
# on NODE SCRIPT: runs SCRIPT as root in NODE by the ssh command line `mosvm ssh --print` gives,
# kept per node by the main shell (refresh_ssh, after every start of a node): no JVM started per
# command. ssh's own failures (255, a saturated emulated guest) are retried twice, by a line asked
# for again; where none is given (the node is not running), `mosvm ssh` itself says why.
declare -A SSH_LINE
sq() { local q="'\\''"; printf "'%s'" "${1//\'/$q}"; } # one word for a POSIX shell
ssh_line() { local l; l=$(timeout 60 bin/mosvm ssh -i "$1" --print 2>/dev/null) && [ "${l#ssh }" != "$l" ] && printf '%s' "$l"; }
refresh_ssh() { local n; for n in "$A" "$B"; do SSH_LINE[$n]=$(ssh_line "$n"); done; }
on() {
  local n=$1 out rc i line=${SSH_LINE[$1]:-}
  for i in 1 2 3; do
    [ -n "$line" ] || line=$(ssh_line "$n")
    if [ -n "$line" ]; then
      out=$(eval "timeout 60 $line -- $(sq "bash -c $(sq "$2")")" 2>&1); rc=$?
    else
      out=$(timeout 60 bin/mosvm ssh -i "$n" -- bash -c "$2" 2>&1); rc=$?
    fi
    [ $rc -ne 255 ] && [ $rc -ne 124 ] && break
    line=
    sleep 3
  done
  printf '%s' "$out"
  return $rc
}
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
log() { echo "$*" >&2; }
# only the domains of this campaign's two instances, by exact name
domain() { case "$1" in "$A"|"$B") echo "$PREFIX$1" ;; *) log "not a node of this campaign: $1"; exit 1 ;; esac; }
running() { [ "$(virsh -c qemu:///system -q domstate "$(domain "$1")" 2>/dev/null)" = running ]; }
# writes a host file into a node (base64 in the command: no stdin through ssh's retries)
put() { on "$1" "echo $(base64 -w0 "$2") | base64 -d > $3 && chmod $4 $3" >/dev/null; }

if [ $DOWN = 1 ]; then
  for n in "$A" "$B"; do bin/mosvm destroy "$n" || true; done
  exit 0
fi

# --- the pool ---------------------------------------------------------------------------------
BOOTED=0
expected= RESULTS=
# at any exit: the temporary files, and the VMs this run booted unless --keep
finish() {
  rm -f "$expected" "$RESULTS"
  if [ $BOOTED = 1 ] && [ $KEEP = 0 ]; then for n in "$A" "$B"; do bin/mosvm destroy "$n" >/dev/null || true; done; fi
}
trap finish EXIT
mounts_both() {
  local i
  for i in $(seq 90); do
    on "$A" "grep -q ' /pool/$B nfs4 ' /proc/mounts && echo y" | grep -q y &&
      on "$B" "grep -q ' /pool/$A nfs4 ' /proc/mounts && echo y" | grep -q y && return 0
    sleep 2
  done
  log "the nodes do not mount each other's /pool after 180 s"; return 1
}
bring_up() { # start again whichever node is not running (resume a paused one), then wait until both mount each other
  local n
  for n in "$A" "$B"; do
    [ "$(virsh -c qemu:///system -q domstate "$(domain "$n")" 2>/dev/null)" = paused ] && virsh -c qemu:///system -q resume "$(domain "$n")" >/dev/null
    running "$n" || mosvm up "$n" >/dev/null || { log "mosvm up $n failed"; return 1; }
  done
  refresh_ssh
  mounts_both
}
if ! bin/mosvm status "$A" >/dev/null 2>&1 || ! bin/mosvm status "$B" >/dev/null 2>&1; then
  log "== booting $A and $B"
  BOOTED=1
  mosvm up "$A" --cpus 1 --memory 1024M >/dev/null & pa=$!
  mosvm up "$B" --cpus 1 --memory 1024M >/dev/null & pb=$!
  wait $pa && wait $pb || { log "boot failed"; exit 1; }
fi
if bin/mosvm nodes -i "$A" --json | grep -q '"pool" : null'; then
  token=$(mosvm pool init -i "$A" --name fc --page-streams sealed | sed -n 's/^join token.*: //p')
  address=$(bin/mosvm status "$A" --json | sed -n 's/.*"address" : "\(.*\)".*/\1/p' | head -1)
  mosvm join "$address" --token "$token" -i "$B" >/dev/null || exit 1
fi
bring_up || exit 1
for n in "$A" "$B"; do mosvm balance -i "$n" off >/dev/null; done
for n in "$A" "$B"; do put "$n" vm-manager/src/test/resources/jobs/bg-job /usr/local/bin/bg-job 755; done
# alice's job: root's jobs stay home
on "$A" "id alice >/dev/null 2>&1 || useradd -m -u 1500 alice; mkdir -p $DIR && chown alice: $DIR" >/dev/null
put "$A" vm-manager/src/test/resources/jobs/count.pl $DIR/count.pl 644

# The job: count.pl, a numbered line at a steady pace, sized to about JOB_S s (its pace timed in A first).
WORK=200000
ms20=$(on "$A" "cd $DIR && s=\$(date +%s%N) && perl count.pl 20 $WORK >/dev/null; echo \$(( (\$(date +%s%N) - s) / 1000000 ))")
STEPS=$(awk -v ms="$ms20" -v j="$JOB_S" 'BEGIN { s = int(j * 1000 * 20 / (ms > 100 ? ms : 100)); print (s < 40 ? 40 : s) }')
STEPS=${FC_STEPS:-$STEPS}
expected=$(mktemp)
perl vm-manager/src/test/resources/jobs/count.pl "$STEPS" "$WORK" > "$expected"
log "== job: count.pl $STEPS $WORK (20 lines took ${ms20} ms in $A), seed $SEED"

# --- one job ------------------------------------------------------------------------------------
JOB_ID=
start_job() { # TAG PLACEMENT: starts count.pl as a background caller on A, sets JOB_ID once it shows and prints
  on "$A" "rm -f $DIR/$1.*; cd $DIR && runuser -u alice -- bg-job $DIR $1 $2 perl count.pl $STEPS $WORK $1" >/dev/null
  local i
  JOB_ID=
  for i in $(seq 60); do
    JOB_ID=$(bin/mosvm ps -i "$A" --json 2>/dev/null | jq -r --arg argv "perl count.pl $STEPS $WORK $1" '.[] | select((.argv | join(" ")) == $argv) | .id' 2>/dev/null | head -1)
    [ -n "$JOB_ID" ] && break
    sleep 1
  done
  [ -n "$JOB_ID" ] || { SETUP_WHY="job $1 did not show in mosps: $(on "$A" "cat $DIR/$1.err $DIR/$1.status 2>&1" | tr '\n\t' '  ' | cut -c1-200)"; log "$SETUP_WHY"; return 1; }
  for i in $(seq 120); do
    [ "$(on "$A" "wc -l < $DIR/$1.out 2>/dev/null || echo 0")" -ge 2 ] 2>/dev/null && return 0
    sleep 1
  done
  SETUP_WHY="job $1 printed nothing in 120 s: $(on "$A" "cat $DIR/$1.err 2>&1" | tr '\n\t' '  ' | cut -c1-200)"; log "$SETUP_WHY"; return 1
}
# how many nodes run job JOB_ID: its cgroup holds a process of the job's program (count.pl) that is
# neither stopped nor frozen. A copy a dump left stopped (its agent killed, or a move's source before
# it is retired) does not run; a stale one must stay so until it is reaped, and the end-of-round
# check finds any left. The supervisor in the cgroup is not the job: it waits, awake, beside a copy
# that is stopped, and after the job's end until its output is read.
places() {
  local c=0 n
  for n in "$A" "$B"; do
    running "$n" || continue
    [ -n "$(on "$n" "g=/sys/fs/cgroup/mosvm/job-$JOB_ID; grep -qs '^frozen 1' \$g/cgroup.events && exit 0
      for p in \$(cat \$g/cgroup.procs 2>/dev/null); do
        tr '\\0' ' ' < /proc/\$p/cmdline 2>/dev/null | grep -q '^perl count[.]pl ' || continue
        s=\$(sed 's/.*) //' /proc/\$p/stat 2>/dev/null | cut -d' ' -f1)
        case \$s in ''|T|t|Z) ;; *) echo run; break ;; esac
      done")" ] && c=$((c + 1))
  done
  echo $c
}
# Waits for the job's caller to end (status file), sampling where the job runs; sets ENDED (the
# status file's time), MAXPLACES, STUCK. Bounded by DEADLINE (epoch seconds).
watch_job() { # TAG DEADLINE
  local tag=$1 deadline=$2 lines last=-1 still=0 p twice=0
  ENDED= MAXPLACES=0 STUCK=0
  while [ "$(date +%s)" -lt "$deadline" ]; do
    lines=$(on "$A" "test -f $DIR/$tag.status && echo end || wc -l < $DIR/$tag.out")
    if [ "$lines" = end ]; then ENDED=$(date +%s); return; fi
    p=$(places)
    [ "$p" -ge 2 ] && twice=$((twice + 1)) || twice=0
    [ $twice -ge 2 ] && MAXPLACES=2            # two copies in two looks in a row, not a move's overlap
    [ "$p" -eq 1 ] && [ "$MAXPLACES" -lt 1 ] && MAXPLACES=1
    if [ "$lines" = "$last" ]; then still=$((still + 3)); else still=0; last=$lines; fi
    # no new line for 90 s while the caller still waits: frozen, or running nowhere
    if [ $still -ge 90 ]; then STUCK=1; return; fi
    sleep 3
  done
}
# Judges the round: sets OUTCOME to ok, lost-declared (the documented 125), or what went wrong.
judge() { # TAG MAY_BE_LOST(0|1)
  local tag=$1 may=$2 st out err nums twice
  st=$(on "$A" "cat $DIR/$tag.status 2>/dev/null")
  out=$(mktemp)
  on "$A" "cat $DIR/$tag.out 2>/dev/null" > "$out"; [ -s "$out" ] && echo >> "$out"
  err=$(on "$A" "cat $DIR/$tag.err 2>/dev/null")
  nums=$(awk '{print $1}' "$out")
  DETAIL="status ${st:-none}, $(wc -l < "$out") lines${err:+, err: $(echo "$err" | head -2 | tr '\n' ' ')}"
  twice=$(echo "$nums" | sort -n | uniq -d | head -3 | tr '\n' ' ')
  if [ -n "$twice" ] || [ "$MAXPLACES" -ge 2 ]; then
    OUTCOME=duplicated
    [ "$MAXPLACES" -ge 2 ] && DETAIL="two copies ran at once, $DETAIL"
    [ -n "$twice" ] && DETAIL="lines ${twice}printed twice, $DETAIL"
  elif [ "$st" = 3 ] && cmp -s "$out" "$expected"; then OUTCOME=ok
  elif [ "$st" = 125 ] && [ "$(echo "$err" | grep -c .)" = 1 ] && echo "$err" | grep -q 'lost: its node'; then
    [ "$may" = 1 ] && OUTCOME=lost-declared || OUTCOME=lost
  elif [ "$STUCK" = 1 ]; then OUTCOME=lost DETAIL="stuck: no new line for 90 s, $DETAIL"
  elif [ -z "$st" ]; then OUTCOME=waited
  else OUTCOME=lost
  fi
  rm -f "$out"
}
# What the round left on the nodes once the caller ended (or was given up): job processes or cgroups
# no caller waits for, stray criu, a leftover filter. Counts them, then clears them for the next round.
UNMANAGED_DETAIL=
sweep() { # TAG
  local n left
  UNMANAGED_DETAIL=
  for n in "$A" "$B"; do
    running "$n" || continue
    left=$(on "$n" "for c in /sys/fs/cgroup/mosvm/job-*; do [ -d \$c ] && [ -n \"\$(cat \$c/cgroup.procs)\" ] && echo \"\${c##*/}:\$(cat \$c/cgroup.procs | tr '\n' ,)\"; done; pgrep -f '^perl count[.]pl $STEPS $WORK' | sed 's/^/job:/'; pgrep -x criu | sed 's/^/criu:/'" | tr '\n' ' ')
    [ -n "$left" ] && UNMANAGED_DETAIL="$UNMANAGED_DETAIL $n: $left"
    on "$n" "for c in /sys/fs/cgroup/mosvm/job-*; do [ -d \$c ] && kill -KILL \$(cat \$c/cgroup.procs) 2>/dev/null; done; pkill -KILL -f '^perl count[.]pl $STEPS $WORK'; pkill -KILL -x criu; tc qdisc del dev \$(ip -o route show default | awk '{print \$5; exit}') ingress 2>/dev/null; rm -f $SCRATCH/fc-fill; true" >/dev/null
  done
  # a caller still waiting after the round is given up on: its agent no longer serves it
  on "$A" "pkill -KILL -f 'bg-jo[b] $DIR $1 '; pkill -KILL -f 'mosrun .*count[.]pl $STEPS $WORK $1\$'; true" >/dev/null
}
healthy() { # both nodes up, agents active, mounts back: the next round starts from a clean pool
  local n
  bring_up || return 1
  for n in "$A" "$B"; do
    for _ in $(seq 30); do on "$n" "systemctl is-active mosvm-agent" | grep -qx active && break; sleep 2; done
  done
}

# the agents' journals since the round began, for a round that went wrong (LOGS/rN-NODE.log)
keep_logs() { # TAG SINCE
  local n
  mkdir -p "$LOGS"
  for n in "$A" "$B"; do running "$n" && on "$n" "journalctl -u mosvm-agent --no-pager -o short-precise --since @$2 | tail -300" > "$LOGS/$1-$n.log"; done
}

# --- faults -------------------------------------------------------------------------------------
block_port() { # NODE SECONDS: drops TCP PEER_PORT both ways at NODE's ingress; a guest-side timer lifts it
  on "$1" "dev=\$(ip -o route show default | awk '{print \$5; exit}')
    tc qdisc add dev \$dev ingress &&
    tc filter add dev \$dev parent ffff: protocol ip prio 1 u32 match ip protocol 6 0xff match ip dport $PEER_PORT 0xffff action drop &&
    tc filter add dev \$dev parent ffff: protocol ip prio 2 u32 match ip protocol 6 0xff match ip sport $PEER_PORT 0xffff action drop &&
    { setsid sh -c 'sleep $2; tc qdisc del dev '\$dev' ingress' >/dev/null 2>&1 </dev/null & } && echo blocked"
}
inject() { # KIND SOURCE TARGET: prints the victim and what the injection saw
  local kind=$1 src=$2 tgt=$3 v
  case "$kind" in
    kill-target-agent) on "$tgt" "systemctl kill --kill-whom=main -s KILL mosvm-agent && echo killed" >/dev/null; echo "$tgt" ;;
    kill-source-agent) on "$src" "systemctl kill --kill-whom=main -s KILL mosvm-agent && echo killed" >/dev/null; echo "$src" ;;
    destroy-target) virsh -c qemu:///system -q destroy "$(domain "$tgt")" >/dev/null; echo "$tgt" ;;
    pause-15|pause-45)
      v=$([ $((RANDOM % 2)) = 0 ] && echo "$src" || echo "$tgt")
      virsh -c qemu:///system -q suspend "$(domain "$v")" >/dev/null; sleep "${kind#pause-}"; virsh -c qemu:///system -q resume "$(domain "$v")" >/dev/null; echo "$v" ;;
    block-15|block-45) echo "$tgt $(block_port "$tgt" "${kind#block-}" | tail -1)"; sleep "${kind#block-}" ;;
    fill-scratch)
      echo "$tgt $(on "$tgt" "mkdir -p $SCRATCH; f=$SCRATCH/fc-fill; room=\$(( \$(df --output=avail -B1M $SCRATCH | tail -1) )); mem=\$(( \$(awk '/MemAvailable/ {print int(\$2 / 1024)}' /proc/meminfo) - 128 )); fallocate -l \$(( (room < mem ? room : mem) ))M \$f; echo full \$(df --output=avail -B1M $SCRATCH | tail -1)M-left")"
      sleep 20; on "$tgt" "rm -f $SCRATCH/fc-fill" >/dev/null ;;
    kill-criu)
      v=$([ $((RANDOM % 2)) = 0 ] && echo "$src" || echo "$tgt")
      echo "$v $(on "$v" "for i in \$(seq 25); do pkill -KILL -x criu && { echo criu-killed; exit; }; sleep 0.2; done; echo no-criu")" ;;
  esac
}

# --- rounds -------------------------------------------------------------------------------------
RESULTS=$(mktemp)
: > "$ROUNDS_FILE"
record() { # KIND OUTCOME LATE UNMANAGED [ROUND POINT MIGRATE_S CALLER_S DETAIL]
  echo "$1 $2 $3 0 $4" >> "$RESULTS"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "${5:-}" "$1" "${6:-}" "$2" "${7:-}" "${8:-}" "$3" "$4" "${9:-}" >> "$ROUNDS_FILE"
}
move_once() { # SOURCE->TARGET round without a fault: the typical move's seconds
  local t0
  start_job cal "-h" || return 1
  t0=$(now); mosvm migrate -i "$A" "$JOB_ID" "$B" >/dev/null 2>&1; secs "$t0" "$(now)"
  on "$A" "kill -TERM \$(cat /sys/fs/cgroup/mosvm/job-*/cgroup.procs 2>/dev/null) 2>/dev/null; true" >/dev/null
  on "$B" "kill -TERM \$(cat /sys/fs/cgroup/mosvm/job-*/cgroup.procs 2>/dev/null) 2>/dev/null; true" >/dev/null
  sleep 3; sweep cal
}
m1=$(move_once) && m2=$(move_once) || { log "a clean move failed"; exit 1; }
TYPICAL=$(awk -v a="$m1" -v b="$m2" 'BEGIN { print (a > b ? a : b) }')
log "== a clean move takes ${m1} / ${m2} s; faults land within 0 - $(awk -v t="$TYPICAL" -v w="$WINDOW" 'BEGIN { printf "%.1f", (w != "" ? w : 1.3 * t) }') s of the move's start"
printf '%-6s %-18s %-36s %-14s %8s %8s  %s\n' round fault point outcome migrate caller detail >&2

IFS=, read -ra kinds <<<"$KINDS"
round=0
for ((m = 0; m < MIGRATIONS; m++)); do
  round=$((round + 1)); kind=${kinds[$((m % ${#kinds[@]}))]}; tag=r$round
  # direction: out (home A to B) or back (B to home A); a destroyed target is never the home (the caller lives there)
  if [ "$kind" != destroy-target ] && [ $((RANDOM % 2)) = 1 ]; then src=$B tgt=$A place="-r $B -l" to=home
  else src=$A tgt=$B place="-h" to=$B; fi
  start_job "$tag" "$place" || { record "$kind" setup-failed 0 0 "$round" "" "" "" "$SETUP_WHY"; healthy; continue; }
  # kill-criu's rounds have a checkpoint at home as the move starts (criu killed then must not
  # harm it); one that fails is tried once more, and the round's detail says why it failed
  SETUP_WHY=
  if [ "$kind" = kill-criu ] && ! said=$(on "$A" "migrate $JOB_ID checkpoint"); then
    SETUP_WHY="the checkpoint before the fault failed once: $(printf '%s' "$said" | tr '\n\t' '  ' | cut -c1-300)"
    log "$tag: $SETUP_WHY"; keep_logs "$tag-checkpoint" "$(date +%s -d '-2 min')"
    sleep 5
    if ! said=$(on "$A" "migrate $JOB_ID checkpoint"); then
      SETUP_WHY="$SETUP_WHY; and again: $(printf '%s' "$said" | tr '\n\t' '  ' | cut -c1-300)"
      record "$kind" setup-failed 0 0 "$round" "" "" "" "$SETUP_WHY"; sweep "$tag"; healthy; continue
    fi
  fi
  delay=$(awk -v t="$TYPICAL" -v w="$WINDOW" -v r=$RANDOM 'BEGIN { printf "%.1f", (w != "" ? w : 1.3 * t) * r / 32768 }')
  mig=$(mktemp)
  t0=$(now)
  ( timeout 300 bin/mosvm migrate -i "$A" "$JOB_ID" "$to" > "$mig" 2>&1; echo "rc $?" >> "$mig"; echo "end $(now)" >> "$mig" ) &
  migrate_pid=$!
  sleep "$delay"
  tf=$(now)
  victim=$(inject "$kind" "$src" "$tgt")
  wait "$migrate_pid"
  mig_wait=$(secs "$t0" "$(sed -n 's/^end //p' "$mig")")
  mig_said=$(grep -v '^rc \|^end ' "$mig" | head -1 | cut -c1-90)
  watch_job "$tag" $(( ${tf%.*} + WAIT_LIMIT + JOB_S * 2 ))
  caller_wait=0
  [ -n "$ENDED" ] && caller_wait=$(secs "$tf" "$ENDED")
  may=0; [ "$kind" = destroy-target ] && may=1
  # paused past the 30 s dead threshold, the node running the job is lost to the pool: the documented 125 (the home paused is not)
  [ "$kind" = pause-45 ] && [ "${victim%% *}" != "$A" ] && may=1
  judge "$tag" "$may"
  # the caller's answer counts against the limit only where the job cannot run on: lost, stuck or never answered
  late=0
  awk -v w="$mig_wait" -v l=$WAIT_LIMIT 'BEGIN { exit !(w > l) }' && late=1
  [ "$OUTCOME" = waited ] && late=1
  [ "$OUTCOME" = lost-declared ] && awk -v w="$caller_wait" -v l=$WAIT_LIMIT 'BEGIN { exit !(w > l) }' && late=1
  sweep "$tag"
  unmanaged=0; [ -n "$UNMANAGED_DETAIL" ] && unmanaged=1
  [ "$OUTCOME" = ok ] || [ "$OUTCOME" = lost-declared ] && [ $unmanaged = 0 ] && [ $late = 0 ] || keep_logs "$tag" "${t0%.*}"
  # where the fault landed: before or after `migrate` answered (the move's commit is in its last second or two)
  at=$(secs "$t0" "$tf")
  phase=$(awk -v a="$at" -v w="$mig_wait" 'BEGIN { print (a < w ? "in-move" : "after-move") }')
  point="$src->$tgt @${at}s $phase v=${victim%% *}"
  detail="migrate: ${mig_said:-?}; $DETAIL${UNMANAGED_DETAIL:+; left:$UNMANAGED_DETAIL}${SETUP_WHY:+; $SETUP_WHY}"
  record "$kind" "$OUTCOME" "$late" "$unmanaged" "$round" "$point" "$mig_wait" "$caller_wait" "$detail"
  printf '%-6s %-18s %-36s %-14s %7ss %7ss  %s\n' "$round" "$kind" "$point" "$OUTCOME" "$mig_wait" "$caller_wait" "$detail" >&2
  rm -f "$mig"
  healthy || { log "the pool did not come back after round $round; stopping"; break; }
done

for ((l = 0; l < LOSSES; l++)); do
  round=$((round + 1)); tag=r$round
  kind=$([ $((l % 2)) = 0 ] && echo loss-checkpointed || echo loss-unprotected)
  t0=$(now)
  start_job "$tag" "-r $B" || { record "$kind" setup-failed 0 0 "$round" "" "" "" "$SETUP_WHY"; healthy; continue; }
  if [ "$kind" = loss-checkpointed ]; then
    on "$A" "migrate $JOB_ID checkpoint" >/dev/null || log "$tag: checkpoint failed"
    n=$(on "$A" "wc -l < $DIR/$tag.out"); for _ in $(seq 60); do [ "$(on "$A" "wc -l < $DIR/$tag.out")" -ge $((n + 2)) ] && break; sleep 1; done
  fi
  delay=$(awk -v r=$RANDOM 'BEGIN { printf "%.1f", 5 * r / 32768 }')
  sleep "$delay"
  tf=$(now)
  virsh -c qemu:///system -q destroy "$(domain "$B")" >/dev/null
  watch_job "$tag" $(( ${tf%.*} + WAIT_LIMIT + JOB_S * 3 ))
  caller_wait=0; [ -n "$ENDED" ] && caller_wait=$(secs "$tf" "$ENDED")
  may=0; [ "$kind" = loss-unprotected ] && may=1
  judge "$tag" "$may"
  [ "$kind" = loss-unprotected ] && [ "$OUTCOME" = ok ] && OUTCOME="ok(unexpected)"
  late=0
  [ "$OUTCOME" = waited ] && late=1
  [ "$kind" = loss-unprotected ] && awk -v w="$caller_wait" -v l=$WAIT_LIMIT 'BEGIN { exit !(w > l) }' && late=1
  bring_up >/dev/null 2>&1
  sweep "$tag"
  unmanaged=0; [ -n "$UNMANAGED_DETAIL" ] && unmanaged=1
  [ "$OUTCOME" = ok ] || [ "$OUTCOME" = lost-declared ] && [ $unmanaged = 0 ] && [ $late = 0 ] || keep_logs "$tag" "${t0%.*}"
  detail="$DETAIL${UNMANAGED_DETAIL:+; left:$UNMANAGED_DETAIL}"
  record "$kind" "$OUTCOME" "$late" "$unmanaged" "$round" "on $B @${delay}s" - "$caller_wait" "$detail"
  printf '%-6s %-18s %-36s %-14s %7s  %7ss  %s\n' "$round" "$kind" "on $B @${delay}s" "$OUTCOME" - "$caller_wait" "$detail" >&2
  healthy || { log "the pool did not come back after round $round; stopping"; break; }
done

# --- summary ------------------------------------------------------------------------------------
mkdir -p "$(dirname "$REPORT")"
awk -v seed="$SEED" -v steps="$STEPS" -v typical="$TYPICAL" '
  { k[$1]; n[$1]++
    if ($2 == "ok" || $2 == "lost-declared") ok[$1]++
    if ($2 == "lost-declared") declared[$1]++
    if ($2 == "lost" || $2 == "waited") lost[$1]++
    if ($2 == "duplicated") dup[$1]++
    if ($2 == "setup-failed") setup[$1]++
    if ($5) unm[$1]++
    if ($3) late[$1]++
    order[++o] = $1 }
  END {
    printf "Fault campaign, seed %s: count.pl %s lines a job, a clean move %s s\n\n", seed, steps, typical
    print "| fault | rounds | ok | of which lost as documented (125) | lost | duplicated | unmanaged | caller waits > 120 s | setup failed |"
    print "|---|---|---|---|---|---|---|---|---|"
    for (i = 1; i <= o; i++) { f = order[i]; if (f in seen) continue; seen[f]
      printf "| %s | %d | %d | %d | %d | %d | %d | %d | %d |\n", f, n[f], ok[f], declared[f], lost[f], dup[f], unm[f], late[f], setup[f]
      t[1] += n[f]; t[2] += ok[f]; t[3] += declared[f]; t[4] += lost[f]; t[5] += dup[f]; t[6] += unm[f]; t[7] += late[f]; t[8] += setup[f] }
    printf "| **all** | %d | %d | %d | %d | %d | %d | %d | %d |\n", t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8]
  }' "$RESULTS" | tee "$REPORT"
bad=$(awk '$2 != "ok" && $2 != "lost-declared" || $3 || $5 { b++ } END { print b + 0 }' "$RESULTS")

[ "$bad" = 0 ]
