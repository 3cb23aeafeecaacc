#!/bin/sh
# batch.sh DIR TAG COUNT MOSRUN-ARGS...: COUNT jobs `mosrun MOSRUN-ARGS` at once, from DIR, in the
# background; each job's output, errors and status in DIR/TAG.I.{out,err,status}; the batch's
# start and end times (seconds) in DIR/TAG.start and DIR/TAG.end.
dir=$1; tag=$2; count=$3; shift 3
cd "$dir" || exit 1
rm -f "$tag".*
date +%s.%N > "$tag.start"
i=1
while [ "$i" -le "$count" ]; do
    ( mosrun "$@" > "$tag.$i.out" 2> "$tag.$i.err"; echo $? > "$tag.$i.status" ) &
    i=$((i + 1))
done
wait
date +%s.%N > "$tag.end.tmp" && mv "$tag.end.tmp" "$tag.end"
