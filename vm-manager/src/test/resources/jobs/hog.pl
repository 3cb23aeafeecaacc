# A job with a lot of resident memory (MiB given), touched once, then counting slowly.
$| = 1;
my ($mib, $n) = @ARGV;
my $buf = "x" x ($mib << 20);
for my $i (1 .. $n) {
    substr($buf, ($i * 4096) % length($buf), 1) = "y";
    print "$i\n";
    select(undef, undef, undef, 0.5);
}
exit 0;
