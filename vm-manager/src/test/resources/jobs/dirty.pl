# dirty.pl MIB STEPS PERCENT: a job of MIB resident memory doing STEPS fixed steps of CPU work
# while it dirties PERCENT % of its memory a minute (by the clock, spread over the run); it
# prints a line every 10 steps and at the end "elapsed S", its own run time in seconds, so a
# benchmark compares runs of the same work with and without checkpoints.
use Time::HiRes qw(time);
$| = 1;
my ($mib, $steps, $percent) = @ARGV;
my $buf = "x" x ($mib << 20);
my $pages = length($buf) >> 12;
my $start = time;
my ($dirtied, $x) = (0, 1);
for my $i (1 .. $steps) {
    for (1 .. 20000) { $x = ($x * 1103515245 + 12345) % 2147483648; }
    my $due = int((time - $start) / 60 * $percent / 100 * $pages);
    while ($dirtied < $due) { substr($buf, ($dirtied % $pages) << 12, 1) = chr(65 + $dirtied % 26); $dirtied++; }
    print "$i $x\n" if $i % 10 == 0;
}
printf "elapsed %.1f\n", time - $start;
exit 0;
