#!/usr/bin/env bash
# Starts libvirt's daemons and its default NAT network on a machine without systemd
# (containers, CI). Idempotent: daemons already running (by pid file) are left alone.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "start-libvirt: must run as root (it starts system daemons)" >&2
  exit 1
fi

running() { # pidfile -> true if that pid is alive
  [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

# Without udev, /dev/kvm stays root:root 0600. libvirt then finds KVM "not available" to the
# libvirt-qemu user on every call, decides its cached QEMU capabilities are stale and
# re-probes QEMU before each define/start (minutes of delay). udev's usual rule fixes it.
if [ -c /dev/kvm ] && getent group kvm >/dev/null; then
  chgrp kvm /dev/kvm && chmod 0660 /dev/kvm
fi

mkdir -p /run/libvirt
running /run/virtlogd.pid  || virtlogd --daemon
running /run/virtlockd.pid || virtlockd --daemon
running /run/libvirtd.pid  || libvirtd --daemon

for _ in $(seq 1 120); do
  virsh -c qemu:///system version >/dev/null 2>&1 && break
  sleep 0.5
done
virsh -c qemu:///system version >/dev/null || { echo "start-libvirt: libvirtd did not answer within 60 s" >&2; exit 1; }

if ! virsh -c qemu:///system net-info default >/dev/null 2>&1; then
  virsh -c qemu:///system net-define /usr/share/libvirt/networks/default.xml >/dev/null
fi
if ! virsh -c qemu:///system net-info default | grep -Eq '^Active:\s+yes'; then
  # A freshly started libvirtd may still be re-detecting a network left running by an
  # earlier daemon; "already active" is then success.
  if ! out=$(virsh -c qemu:///system net-start default 2>&1); then
    echo "$out" | grep -q "already active" || { echo "start-libvirt: $out" >&2; exit 1; }
  fi
fi
virsh -c qemu:///system net-autostart default >/dev/null 2>&1 || true
echo "libvirt ready: $(virsh -c qemu:///system version --daemon | awk '/daemon/{print $NF}'), network default active"
