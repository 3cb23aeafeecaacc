# Deterministic and CPU-bound: a pseudo-random walk, one line per step, then exit 3.
$| = 1;
my ($steps, $work) = @ARGV;
my $x = 1;
for my $i (1 .. $steps) {
    for (1 .. $work) { $x = ($x * 1103515245 + 12345) % 2147483648; }
    print "$i $x\n";
}
exit 3;
