# A deterministic CPU-bound job: N steps of integer arithmetic, then the result.
my ($n) = @ARGV;
my $x = 1;
for my $i (1 .. $n) { $x = ($x * 31 + $i) % 1000003 }
print "$x\n";
