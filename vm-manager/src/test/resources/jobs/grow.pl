# A job whose memory grows: MiB mebibytes, one a step, a step every STEP seconds (each page
# touched), then held for HOLD seconds; prints the size it reached and a checksum of its data.
$| = 1;
my ($mib, $step, $hold) = @ARGV;
my @chunks;
for my $i (1 .. $mib) {
    push @chunks, chr(65 + $i % 26) x (1 << 20);
    select(undef, undef, undef, $step);
}
select(undef, undef, undef, $hold);
my $sum = 0;
$sum = ($sum + ord(substr($_, 4096, 1))) % 65521 for @chunks;
print "grew to ", scalar(@chunks), " MiB, checksum $sum\n";
