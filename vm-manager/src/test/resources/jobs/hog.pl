# hog.pl MIB LINES: a job with MIB of resident memory, touched once, then a line every 0.5 s
# (dirtying a page every 0.1 s). Each line is "N STALL": STALL is the longest the job has been
# stopped so far, in ms, as the job itself saw it (a wake-up that came late), so a benchmark
# reads a migration's freeze from the job's side too.
use Time::HiRes qw(time);
$| = 1;
my ($mib, $lines) = @ARGV;
my $buf = "x" x ($mib << 20);
my ($last, $stall) = (time, 0);
for my $i (1 .. 5 * $lines) {
    substr($buf, ($i * 4096) % length($buf), 1) = "y";
    select(undef, undef, undef, 0.1);
    my $now = time;
    $stall = $now - $last - 0.1 if $now - $last - 0.1 > $stall;
    $last = $now;
    printf "%d %d\n", $i / 5, $stall * 1000 if $i % 5 == 0;
}
exit 0;
