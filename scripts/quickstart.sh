#!/usr/bin/env bash
# One command from a fresh machine to a running mosvm appliance: sets the host up, builds
# the appliance image on first use (cached in ~/.cache/mosvm), boots instance NAME
# (default: "default") and prints what its guest agent reports.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-host.sh
bin/mosvm up "${1:-default}"
cat <<TXT

Next:  bin/mosvm status ${1:-default}     bin/mosvm list
       bin/mosvm down ${1:-default}       bin/mosvm destroy ${1:-default}
TXT
