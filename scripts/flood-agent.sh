#!/usr/bin/env bash
# flood-agent.sh: floods this machine's own mosvm agent over loopback, bounded in count and in
# time, to show that it keeps serving under abuse (docs/internals.md, "Under abuse"):
#   - short connections carrying garbage, round robin to the HTTPS API, the peer service and the
#     job socket, up to --hold of them open at once (--connections in all);
#   - slow clients, --slow per server, joining halfway through, that send a plausible opening one
#     byte a second: the agent must drop each within its opening deadline (or refuse it at once);
#   - garbage datagrams to the gossip port (--datagrams), some shaped like sealed gossip.
# Everything goes to 127.0.0.1, and nowhere else. It stops after --seconds whatever happens
# (and is killed 30 s later if it has not). Needs bash, coreutils and perl-base: what the
# appliance has (no python there). Run inside an appliance it floods that appliance's agent;
# the end-to-end tests do (FloodIT), and the agent's integration test runs it on the host.
#
# Prints one line, key=value pairs after "flood:", e.g.
#   flood: connections=3000 connect_failures=0 garbage_bytes=812345 datagrams=20000 slow=60
#          slow_dropped=60 slow_still_open=0 slow_dropped_max_s=11 api_max_s=11 peer_max_s=10 jobs_max_s=10 seconds=14
# (slow_dropped_max_s and the per-server maxima: the longest a slow client was held, in whole seconds)
set -euo pipefail

connections=3000
hold=100
slow=20
datagrams=20000
seconds=30
api_port=7443
peer_port=7444
gossip_port=7946
jobs_socket=/run/mosvm/jobs.sock

usage() {
    cat <<EOF
usage: flood-agent.sh [--connections N] [--hold N] [--slow N] [--datagrams N] [--seconds N]
                      [--api-port P] [--peer-port P] [--gossip-port P] [--jobs-socket PATH|-]
defaults: --connections $connections --hold $hold --slow $slow --datagrams $datagrams --seconds $seconds
          --api-port $api_port --peer-port $peer_port --gossip-port $gossip_port --jobs-socket $jobs_socket
EOF
    exit 2
}

number() { # NAME VALUE MAX
    [[ $2 =~ ^[0-9]+$ ]] && [ "$2" -le "$3" ] || { echo "flood-agent.sh: $1 must be a number up to $3, not '$2'" >&2; exit 2; }
}

while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || usage
    case $1 in
        --connections) number "$1" "$2" 100000; connections=$2 ;;
        --hold) number "$1" "$2" 500; hold=$2 ;;
        --slow) number "$1" "$2" 200; slow=$2 ;;
        --datagrams) number "$1" "$2" 1000000; datagrams=$2 ;;
        --seconds) number "$1" "$2" 600; seconds=$2 ;;
        --api-port) number "$1" "$2" 65535; api_port=$2 ;;
        --peer-port) number "$1" "$2" 65535; peer_port=$2 ;;
        --gossip-port) number "$1" "$2" 65535; gossip_port=$2 ;;
        --jobs-socket) jobs_socket=$2 ;;
        *) usage ;;
    esac
    shift 2
done

# room for every socket held at once; if the limit cannot be raised, fewer are held
ulimit -n $((hold + 3 * slow + 64)) 2>/dev/null || true

exec timeout --kill-after=5 $((seconds + 30)) perl -e '
use strict;
use warnings;
use IO::Socket::INET;
use IO::Socket::UNIX;
use IO::Select;
use Socket qw(SOCK_STREAM);

my ($connections, $hold, $slow, $datagrams, $seconds, $api, $peer, $gossip, $jobs) = @ARGV;
$SIG{PIPE} = "IGNORE";      # a connection the agent closed fails the write, not this process
alarm($seconds + 20);       # a last stop, should a connect hang
my $host = "127.0.0.1";     # loopback only, by design
my $start = time;

open(my $rnd, "<", "/dev/urandom") or die "flood-agent.sh: /dev/urandom: $!\n";
my $noise = "";
sysread($rnd, $noise, 65536) == 65536 or die "flood-agent.sh: cannot read /dev/urandom\n";
close $rnd;
sub noise { my ($n) = @_; return substr($noise, int(rand(65536 - $n)), $n); }

my $magic = "MOSVMP1\n";
my %open = (
    api  => sub { IO::Socket::INET->new(PeerAddr => $host, PeerPort => $api, Proto => "tcp", Timeout => 2) },
    peer => sub { IO::Socket::INET->new(PeerAddr => $host, PeerPort => $peer, Proto => "tcp", Timeout => 2) },
    jobs => sub { $jobs ne "-" && -S $jobs ? IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $jobs, Timeout => 2) : undef },
);
my @targets = grep { $_ ne "jobs" || ($jobs ne "-" && -S $jobs) } qw(api peer jobs);

# what a short connection sends: noise, or the start of something the server parses, then noise
sub garbage {
    my ($target, $i) = @_;
    my $kind = $i % 3;
    if ($target eq "api") {
        return "GET /v1/facts HTTP/1.1\r\nHost: x\r\n\r\n" if $kind == 1;         # plain HTTP to a TLS port
        return "\x16\x03\x01\xff\xff" . noise(1 + int(rand(512))) if $kind == 2;   # a TLS record declaring 64 KiB
    } elsif ($target eq "peer") {
        return $magic . "\x01" . pack("n", 65535) . noise(64) if $kind == 1;        # a node name longer than any
        return $magic . "\x01" . pack("n", 1) . "x" . noise(32) . noise(32) if $kind == 2; # a hello, then a forged proof
    } else {
        return "{\"op\":\"run\",\"argv\":[" . noise(200) . "\n" if $kind == 1;     # a broken request line
        return noise(4096) if $kind == 2;                                        # a line that does not end
    }
    return noise(1 + int(rand(512)));
}

# what a slow client sends, a byte a second: the start of a valid opening that never completes
my %opening = (
    api  => "\x16\x03\x01\x02\x00" . noise(512),
    peer => $magic . "\x01" . pack("n", 4) . "slow" . noise(32),
    jobs => "{\"op\":\"run\",\"argv\":[\"true\"]" . (" " x 500),
);

my ($made, $connect_failures, $garbage_bytes, $sent) = (0, 0, 0, 0);
my @held;
my @slow;
my $slow_started = 0;
# the slow clients join halfway through the short connections: those before them reach the
# parsers of the servers, those after meet servers whose places the slow ones hold
sub start_slow {
    $slow_started = 1;
    for my $t (@targets) {
        for (1 .. $slow) {
            my $s = $open{$t}->();
            if (!$s) { push @slow, {target => $t, opened => time, dropped => time}; next; }
            push @slow, {target => $t, sock => $s, pos => 0, opened => time, next => time};
        }
    }
}

my $udp = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $gossip, Proto => "udp")
    or die "flood-agent.sh: udp socket: $!\n";

while (time - $start < $seconds) {
    start_slow() if !$slow_started && $made >= $connections / 2;
    # a batch of short connections
    for (1 .. 50) {
        last if $made >= $connections;
        my $t = $targets[$made % @targets];
        my $s = $open{$t}->();
        $made++;
        if (!$s) { $connect_failures++; next; }
        my $g = garbage($t, $made);
        my $n = syswrite($s, $g);
        $garbage_bytes += $n if defined $n;
        push @held, $s;
        close(shift @held) while @held > $hold;
    }
    # a batch of garbage datagrams
    for (1 .. 200) {
        last if $sent >= $datagrams;
        my $d = $sent % 2 ? noise(1 + int(rand(1400))) : "MS\x01\x01" . noise(60 + int(rand(1300))); # shaped like sealed gossip
        send($udp, $d, 0);
        $sent++;
    }
    # the slow clients: a byte each a second; note when the agent drops one
    my $now = time;
    my $sel = IO::Select->new(map { $_->{sock} } grep { $_->{sock} } @slow);
    my %readable = map { (fileno($_) => 1) } $sel->can_read(0);
    for my $c (grep { $_->{sock} } @slow) {
        my $s = $c->{sock};
        my $gone = 0;
        if ($readable{fileno($s)}) {
            my $buf;
            my $r = sysread($s, $buf, 4096);
            $gone = 1 if !defined $r || $r == 0;
        }
        if (!$gone && $c->{next} <= $now) {
            my $w = syswrite($s, substr($opening{$c->{target}}, $c->{pos}++ % length($opening{$c->{target}}), 1));
            $gone = 1 if !defined $w;
            $c->{next} = $now + 1;
        }
        if ($gone) {
            close $s;
            delete $c->{sock};
            $c->{dropped} = $now;
        }
    }
    my $busy = !$slow_started || $made < $connections || $sent < $datagrams || grep { $_->{sock} } @slow;
    last unless $busy;
    select(undef, undef, undef, 0.01);
}
close $_ for @held;

my @dropped = grep { !$_->{sock} } @slow;
my $max = 0;
my %max = map { ($_ => 0) } @targets;
for my $c (@dropped) {
    my $held = $c->{dropped} - $c->{opened};
    $max = $held if $held > $max;
    $max{$c->{target}} = $held if $held > $max{$c->{target}};
}
my $still = @slow - @dropped;
close $_->{sock} for grep { $_->{sock} } @slow;
printf "flood: connections=%d connect_failures=%d garbage_bytes=%d datagrams=%d slow=%d slow_dropped=%d slow_still_open=%d slow_dropped_max_s=%d %s seconds=%d\n",
    $made, $connect_failures, $garbage_bytes, $sent, scalar(@slow), scalar(@dropped), $still, $max,
    join(" ", map { "${_}_max_s=$max{$_}" } @targets), time - $start;
' "$connections" "$hold" "$slow" "$datagrams" "$seconds" "$api_port" "$peer_port" "$gossip_port" "$jobs_socket"
