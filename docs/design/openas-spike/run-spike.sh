#!/bin/bash
# run-spike.sh HOME MEMBER: the open-as-user spike (openas.c, files-list.pl) on two pooled appliances
# (bin/mosvm's MOSVM_HOME and MOSVM_DOMAIN_PREFIX as set), run from the repository's root. A job of
# alice's at HOME reads a file only alice may read (/home/alice/private, 0600, in a 0700
# directory: root squashed in HOME's tree as MEMBER sees it) and appends each line to
# /pool/HOME/alice/spike.out; it is dumped at HOME and restored on MEMBER, first by criu alone
# (refused: root is nobody there), then through openas, which opens the file as alice.
set -euo pipefail
H=$1 M=$2
sh_() { bin/mosvm ssh -i "$1" -- bash -c "$2"; }
here=$(dirname "$0")
cc -O2 -o /tmp/openas "$here/openas.c" # Debian 12 here and in the appliance: the same glibc
for n in "$H" "$M"; do
  sh_ "$n" "id alice >/dev/null 2>&1 || useradd -m -u 1500 alice; mkdir -p /run/spike/init /sys/fs/cgroup/spike"
  sh_ "$n" "echo $(base64 -w0 /tmp/openas) | base64 -d > /usr/local/sbin/openas && chmod 755 /usr/local/sbin/openas"
  sh_ "$n" "echo $(base64 -w0 "$here/files-list.pl") | base64 -d > /usr/local/sbin/files-list.pl && chmod 755 /usr/local/sbin/files-list.pl"
done
sh_ "$H" "install -d -m 700 -o alice -g alice /home/alice/private && seq 1 400 | sed 's/^/secret line /' > /home/alice/private/secret.txt &&
  chown alice: /home/alice/private/secret.txt && chmod 600 /home/alice/private/secret.txt &&
  install -d -o alice -g alice /pool/$H/alice && rm -rf /pool/$H/alice/spike.out /pool/$H/spike-img && install -d -m 700 /pool/$H/spike-img"
sh_ "$H" "cd /pool/.homes/$H/home/alice && (setsid nohup /usr/local/bin/mosvm-launch --root /pool/.homes/$H /sys/fs/cgroup/spike /run/spike/init 1500 1500 perl -e '
  open(my \$s, \"<\", \"/home/alice/private/secret.txt\") or die \$!; open(my \$o, \">>\", \"/pool/$H/alice/spike.out\") or die \$!;
  \$o->autoflush(1); while (<\$s>) { print \$o \$_; sleep 1 }' </dev/null >/dev/null 2>&1 &)"
sleep 8
sh_ "$H" "p=\$(pgrep -n -f '^/usr/bin/tini-static'); echo tini \$p; criu dump -t \$p -D /pool/$H/spike-img -o dump.log && echo dumped; wc -l < /pool/$H/alice/spike.out"
sh_ "$M" "files-list.pl /pool/$H/spike-img | tee /run/spike/list | grep -v ' /usr/\| /lib' || true"
echo "== criu alone on $M (as root, nobody in $H's tree):"
sh_ "$M" "criu restore -D /pool/$H/spike-img -W /run/spike -o restore-root.log --restore-detached && echo restored || grep -m2 Error /run/spike/restore-root.log" || true
echo "== through openas:"
sh_ "$M" "openas 1500 1500 /pool/.homes/$H /run/spike/list -- criu restore -D /pool/$H/spike-img -W /run/spike -o restore.log --restore-detached && echo restored || grep -m3 Error /run/spike/restore.log"
sleep 6
sh_ "$M" "ps -o user,pid,args -C perl; ls -l /proc/\$(pgrep -n -x perl)/fd | grep secret"
sh_ "$H" "tail -3 /pool/$H/alice/spike.out; echo lines \$(wc -l < /pool/$H/alice/spike.out), distinct \$(sort -u /pool/$H/alice/spike.out | wc -l)"
