# lazy.pl MIB GO: fills MIB mebibytes (each 4 KiB page starts with its number, from 1), prints their
# checksum, then reads one page every 20 ms, in order, until the file GO exists: a copy restored
# lazily faults its pages in one by one, so its lazy-pages daemon is still at work minutes after
# the move. Then it reads every page, prints the checksum again (the same, unless memory was
# lost) and exits 0.
$| = 1;
my ($mib, $go) = @ARGV;
my $buf = "\0" x ($mib << 20);
my $pages = length($buf) >> 12;
substr($buf, $_ << 12, 4) = pack("N", $_ + 1) for 0 .. $pages - 1;
print "filled ", unpack("%32N*", $buf), "\n";
my ($p, $seen) = (0, 0);
until (-e $go) {
    $seen ^= ord(substr($buf, (($p++ % $pages) << 12) + 3, 1));
    select(undef, undef, undef, 0.02);
}
print "read back ", unpack("%32N*", $buf), "\n";
exit 0;
