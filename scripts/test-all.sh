#!/usr/bin/env bash
# The whole test suite: unit tests, then end-to-end tests that build the appliance (cached)
# and boot real appliance VMs through libvirtd under QEMU. Run as root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-host.sh
mvn -B verify "$@"
