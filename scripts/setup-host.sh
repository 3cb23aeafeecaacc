#!/usr/bin/env bash
# Prepares a Debian 12 machine for mosvm: installs the packages, starts libvirtd and its
# default network (no systemd needed), and builds mosvm. Idempotent; run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-host: run as root (it installs packages and starts libvirtd): sudo $0" >&2
  exit 1
fi

PACKAGES=(
  openjdk-17-jdk-headless maven                       # build
  libvirt-daemon-system libvirt-clients libvirt-daemon-driver-qemu dnsmasq-base
  qemu-system-x86 qemu-utils                          # run appliance VMs
  mmdebstrap e2fsprogs gcc libc6-dev libssl-dev libseccomp-dev  # build the appliance image (gcc, libcrypto, libseccomp: its native tools, images/files/usr/local/src)
  openssh-client                                      # mosvm ssh
  openssh-sftp-server util-linux                      # host folders: served to the appliance's sshfs (mosvm up --mount), as the host user (setpriv)
  tini                                                # the job service's tests run jobs on the host too
  procps                                              # vmstat: the host's CPU while the end-to-end tests run (scripts/test-all.sh)
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-host: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -q -o DPkg::Lock::Timeout=600 update
  apt-get -q -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}"
fi

scripts/start-libvirt.sh

echo "setup-host: building mosvm (Maven repository: ~/.m2, reused between runs)"
mvn -q -B -DskipTests package
echo "setup-host: done; the CLI is bin/mosvm"
