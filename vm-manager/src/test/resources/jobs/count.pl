# Deterministic and CPU-bound: a pseudo-random walk, one line per step, then exit 3. With a
# third argument MIB (a number) it also holds MIB mebibytes (each 4 KiB page starts with its
# number, from 1) and prints their checksum last: a copy restored with memory lost or mixed up
# prints another. Any other third argument is a tag that tells jobs apart, and changes nothing.
$| = 1;
my ($steps, $work, $tag) = @ARGV;
my $mib = defined $tag && $tag =~ /^[0-9]+$/ ? $tag : 0;
my $mem = '';
if ($mib) {
    $mem = "\0" x ($mib << 20);
    substr($mem, $_ << 12, 4) = pack("N", $_ + 1) for 0 .. ($mib << 8) - 1;
}
my $x = 1;
for my $i (1 .. $steps) {
    for (1 .. $work) { $x = ($x * 1103515245 + 12345) % 2147483648; }
    print "$i $x\n";
}
print "memory ", unpack("%32N*", $mem), "\n" if $mib;
exit 3;
