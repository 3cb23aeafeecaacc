#!/bin/sh
# A multi-process job: this shell, perl appending to a home file, and awk, with a pipe between them.
perl append.pl "$1" 160 | awk '{ s += $1; print $1, s; fflush() }'
