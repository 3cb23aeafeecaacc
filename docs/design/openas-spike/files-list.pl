#!/usr/bin/perl
# files-list.pl DIR: a line "FLAGS POS PATH" (FLAGS in hex, POS -1 for none) for each regular file
# in DIR/files.img, CRIU 3.17's images (images/fdinfo.proto file_entry: type 1 REG, reg = 3;
# images/regfile.proto reg_file_entry: flags = 2, pos = 3, name = 6). For openas.c.
use strict;
use warnings;
my $dir = shift // die "usage: files-list.pl DIR\n";
open(my $f, '<:raw', "$dir/files.img") or die "$dir/files.img: $!\n";
local $/;
my $img = <$f>;
my $at = 0;
sub u32 { my $v = unpack('V', substr($img, $at, 4)); $at += 4; $v }
sub varint { my ($b, $p) = @_; my ($v, $s) = (0, 0); while (1) { my $x = ord(substr($$b, $$p++, 1)); $v |= ($x & 0x7f) << $s; last if $x < 128; $s += 7; } $v }
# fields of one message: number => [values] (varints as numbers, length-delimited as bytes)
sub fields {
    my ($m) = @_;
    my ($p, %f) = (0);
    while ($p < length $m) {
        my $key = varint(\$m, \$p);
        my ($no, $type) = ($key >> 3, $key & 7);
        if ($type == 0) { push @{ $f{$no} }, varint(\$m, \$p); }
        elsif ($type == 2) { my $l = varint(\$m, \$p); push @{ $f{$no} }, substr($m, $p, $l); $p += $l; }
        elsif ($type == 1) { $p += 8; } elsif ($type == 5) { $p += 4; } else { die "wire type $type\n"; }
    }
    return \%f;
}
my $magic = u32();
u32() if $magic == 0x54564319 || $magic == 0x55105940; # then the image's own magic
while ($at < length $img) {
    my $size = u32();
    my $e = fields(substr($img, $at, $size));
    $at += $size;
    next unless ($e->{1}[0] // 0) == 1 && defined $e->{3}[0];
    my $r = fields($e->{3}[0]);
    my $pos = $r->{3}[0] // -1;
    $pos = -1 if $pos >= 2**63;
    printf "%x %d %s\n", $r->{2}[0] // 0, $pos, $r->{6}[0] // '';
}
