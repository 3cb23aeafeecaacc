package dev.mosvm.manager.instance;

import dev.mosvm.manager.MosvmException;
import java.util.regex.Pattern;

/** Instance names double as directory, hostname and domain suffix: keep them DNS-label safe. */
public final class InstanceNames {
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,30}[a-z0-9]|[a-z]");
    public static final String DEFAULT = "default";

    private InstanceNames() {}

    public static String validate(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw MosvmException.invalid("invalid instance name '" + name
                    + "': use 1-32 lowercase letters, digits and '-', starting with a letter");
        }
        return name;
    }
}
