#!/usr/bin/env bash
# Several "workstations" on this one machine, for trying and testing a pool across machines:
# each is a network namespace with its own address on a shared bridge (the LAN), no default
# route, and its appliance behind its own user-mode NAT (the qemu driver), as on a laptop.
# The host itself is on the LAN too (10.213.77.1), so a libvirt appliance here can join.
#
#   workstations.sh up [N]        make the LAN and N workstations (default 3): ws1..wsN at 10.213.77.11..
#   workstations.sh exec WS CMD   run CMD on workstation WS (e.g. mosvm, with its own MOSVM_HOME)
#   workstations.sh cut WS        pull WS's network cable; mend WS plugs it back
#   workstations.sh closed WS     WS's router forwards nothing: new inbound UDP is dropped, replies to
#                                 what WS sent still come in; open WS forwards again
#   workstations.sh stranger      a namespace on the LAN with no appliance (10.213.77.99)
#   workstations.sh down          remove every namespace and the bridge this script made
#
# Namespaces are named mosvm-ws1.. and the bridge mosbr0: nothing else on the host is touched.
set -euo pipefail

BRIDGE=mosbr0
PREFIX=mosvm-ws
LAN=10.213.77

die() { echo "workstations: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "must run as root (it makes network namespaces)"

ns_of() {
  case "$1" in
    stranger) echo "${PREFIX}-stranger" ;;
    ws[0-9]*) echo "${PREFIX}${1#ws}" ;;
    *) die "no workstation '$1' (ws1, ws2, ... or stranger)" ;;
  esac
}

address_of() { # ws3 -> 10.213.77.13, stranger -> .99
  case "$1" in stranger) echo "$LAN.99" ;; *) echo "$LAN.$((10 + ${1#ws}))" ;; esac
}

add_ns() { # name -> a namespace with eth0 on the bridge
  local ws=$1 ns addr
  ns=$(ns_of "$ws"); addr=$(address_of "$ws")
  ip netns list | grep -qw "$ns" && return 0
  ip netns add "$ns"
  ip link add "${ns#mosvm-}-h" type veth peer name eth0 netns "$ns"
  ip link set "${ns#mosvm-}-h" master "$BRIDGE" up
  ip -n "$ns" addr add "$addr/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up # down in a new namespace: QEMU's forwards to loopback need it
}

case "${1:-}" in
  up)
    n=${2:-3}
    [[ "$n" =~ ^[1-8]$ ]] || die "up takes 1 to 8 workstations, not '$n'"
    if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
      ip link add "$BRIDGE" type bridge
      ip addr add "$LAN.1/24" dev "$BRIDGE"
      ip link set "$BRIDGE" up
    fi
    # bridged frames cross iptables' FORWARD chain when br_netfilter is loaded; a host whose
    # policy drops them (Docker's) would cut the LAN
    if command -v iptables >/dev/null && ! iptables -C FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null; then
      iptables -I FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null || true
    fi
    for i in $(seq 1 "$n"); do add_ns "ws$i"; echo "ws$i $(address_of "ws$i") $(ns_of "ws$i")"; done
    ;;
  stranger)
    ip link show "$BRIDGE" >/dev/null 2>&1 || die "no LAN: run 'up' first"
    add_ns stranger; echo "stranger $(address_of stranger) $(ns_of stranger)"
    ;;
  exec)
    [ $# -ge 3 ] || die "usage: exec WS COMMAND..."
    ns=$(ns_of "$2"); shift 2
    exec ip netns exec "$ns" "$@"
    ;;
  cut|mend)
    [ $# -eq 2 ] || die "usage: $1 WS"
    ns=$(ns_of "$2")
    ip -n "$ns" link set eth0 "$([ "$1" = cut ] && echo down || echo up)"
    ;;
  closed|open)
    [ $# -eq 2 ] || die "usage: $1 WS"
    ns=$(ns_of "$2")
    rule=(INPUT -i eth0 -p udp -m conntrack --ctstate NEW -j DROP)
    if [ "$1" = closed ]; then
      ip netns exec "$ns" iptables -C "${rule[@]}" 2>/dev/null || ip netns exec "$ns" iptables -A "${rule[@]}"
    else
      ip netns exec "$ns" iptables -D "${rule[@]}" 2>/dev/null || true
    fi
    ;;
  down)
    for ns in $(ip netns list | awk '{print $1}' | grep "^${PREFIX}" || true); do ip netns del "$ns"; done
    if ip link show "$BRIDGE" >/dev/null 2>&1; then ip link del "$BRIDGE"; fi
    iptables -D FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null || true
    ;;
  *)
    sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
