package dev.mosvm.builder;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses human sizes ("512M", "2G", "1536MiB", "4g"); a bare number means MiB. */
public final class Sizes {
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([kmgt]?)(i?b)?", Pattern.CASE_INSENSITIVE);

    private Sizes() {}

    public static long parseBytes(String text) {
        if (text == null) throw new IllegalArgumentException("size is missing");
        Matcher m = SIZE.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("invalid size '" + text + "' (use e.g. 512M, 2G)");
        }
        long n;
        try {
            n = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid size '" + text + "' (number too large)");
        }
        int shift = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "k" -> 10;
            case "", "m" -> 20;
            case "g" -> 30;
            case "t" -> 40;
            default -> throw new IllegalArgumentException("invalid size unit in '" + text + "'");
        };
        if (m.group(2).isEmpty() && m.group(3) != null) {
            throw new IllegalArgumentException("invalid size '" + text + "': bytes are too small a unit (use M or G)");
        }
        if (n > (Long.MAX_VALUE >> shift)) throw new IllegalArgumentException("invalid size '" + text + "' (too large)");
        return n << shift;
    }

    public static long parseMiB(String text) {
        return parseBytes(text) >> 20;
    }

    public static String human(long bytes) {
        if (bytes >= 1L << 30) return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
        if (bytes >= 1L << 20) return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
        return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }
}
