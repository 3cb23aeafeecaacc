#!/bin/sh
# typed.sh N: in the background, a caller typing N lines (4 a second) into a job that reads
# them more slowly, so lines wait unread in its input pipe; typed.out, typed.err, typed.status.
n=$1
(
  for i in $(seq 1 "$n"); do echo "in $i"; sleep 0.25; done |
    mosrun sh -c 'while read l; do echo "got $l"; sleep 0.5; done' > typed.out 2> typed.err
  echo $? > typed.status.tmp && mv typed.status.tmp typed.status
) < /dev/null > /dev/null 2>&1 &
