# Holds a file in its home directory open and appends to it, while reporting on stdout.
$| = 1;
my ($file, $n) = @ARGV;
open(my $log, '>>', $file) or die "open $file: $!";
$log->autoflush(1);
for my $i (1 .. $n) {
    print $log "line $i\n";
    print "$i\n";
    select(undef, undef, undef, 0.25);
}
close $log;
