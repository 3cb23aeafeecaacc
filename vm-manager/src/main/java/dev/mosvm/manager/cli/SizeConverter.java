package dev.mosvm.manager.cli;

import dev.mosvm.builder.Sizes;
import picocli.CommandLine;

/** "512M", "2G" -> MiB, for --memory. */
final class SizeConverter implements CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
        try {
            return Sizes.parseMiB(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}
