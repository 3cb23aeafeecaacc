#!/bin/bash
# In an appliance, as root: a job in its own user/mount/pid namespace, dumped and restored with CRIU.
#   guest-spike.sh start HOME          start a counting job rooted at HOME's tree; prints its host pid
#   guest-spike.sh dump PID DIR        criu dump it to DIR (the tree's directories as external mounts)
#   guest-spike.sh restore HOME DIR    criu restore it here, rooted at HOME's tree
set -euo pipefail
DIRS="etc home media mnt opt root srv tmp usr var"
DEVS="null zero full random urandom tty"
skeleton() {
  local r=$1; mkdir -p "$r"; mountpoint -q "$r" || mount -t tmpfs -o mode=755,size=1m mosvm-job "$r"; mount --make-private "$r"
  for d in $DIRS proc dev .old; do mkdir -p "$r/$d"; done
  for l in bin sbin lib lib64; do [ -L "$r/$l" ] || ln -s "usr/$l" "$r/$l"; done
  for d in $DEVS; do [ -e "$r/dev/$d" ] || touch "$r/dev/$d"; done
}
ext_dump() { for d in $DIRS; do printf -- "--external mnt[/%s]:%s " $d $d; done; for d in $DEVS; do printf -- "--external mnt[/dev/%s]:dev-%s " $d $d; done; }
ext_restore() { for d in $DIRS; do printf -- "--external mnt[%s]:%s/%s " $d "$1" $d; done; for d in $DEVS; do printf -- "--external mnt[dev-%s]:/dev/%s " $d $d; done; }
case "$1" in
start)
  r=/run/spike/root-$$; skeleton $r
  /usr/local/bin/usernsrun $r /pool/.homes/$2 1500 1500 /tmp /usr/bin/tini -s -- perl -e \
    'open(my $o, ">>", "/tmp/spike.out") or die; $o->autoflush(1); for (1..600) { print $o "$_\n"; sleep 1 }' </dev/null >/run/spike/launch.log 2>&1 &
  sleep 1; pgrep -f "^/usr/bin/tini -s -- perl" | head -1 ;;
dump)
  mkdir -p "$3"; criu dump -t "$2" -D "$3" $(ext_dump) -v4 -o dump.log && echo dumped || { tail -20 "$3/dump.log"; exit 1; } ;;
restore)
  r=/run/spike/root-$$; skeleton $r
  criu restore -D "$3" --root $r $(ext_restore /pool/.homes/$2) -d -v4 -o restore.log && echo restored || { tail -20 "$3/restore.log"; exit 1; } ;;
esac
