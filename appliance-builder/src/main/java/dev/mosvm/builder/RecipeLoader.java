package dev.mosvm.builder;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** Loads a recipe and validates it, reporting every problem with its field, not just the first. */
public final class RecipeLoader {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final Pattern PACKAGE = Pattern.compile("[a-z0-9][a-z0-9+.-]+");
    private static final Pattern UNIT = Pattern.compile("[A-Za-z0-9@_.-]+");

    private RecipeLoader() {}

    public static Recipe load(Path file) throws BuildException {
        if (!Files.isRegularFile(file)) {
            throw new BuildException("recipe " + file + " not found", "pass an existing recipe, e.g. images/default.yaml");
        }
        Recipe r;
        try {
            r = YAML.readValue(file.toFile(), Recipe.class);
        } catch (IOException e) {
            throw new BuildException("recipe " + file + " is not valid: " + e.getMessage().lines().findFirst().orElse(""),
                    "compare it with images/default.yaml");
        }
        List<String> errors = validate(r, file.toAbsolutePath().getParent());
        if (!errors.isEmpty()) {
            throw new BuildException("recipe " + file + " has " + errors.size() + " error(s): " + String.join("; ", errors),
                    "compare it with images/default.yaml");
        }
        return r;
    }

    static List<String> validate(Recipe r, Path baseDir) {
        List<String> errors = new ArrayList<>();
        if (r == null) {
            errors.add("the file is empty");
            return errors;
        }
        if (blank(r.name())) errors.add("name: required");
        if (blank(r.version())) errors.add("version: required");
        if (blank(r.suite())) errors.add("suite: required");
        if (r.packages() == null || r.packages().isEmpty()) {
            errors.add("packages: at least the kernel is required");
        } else {
            for (int i = 0; i < r.packages().size(); i++) {
                String p = r.packages().get(i);
                if (p == null || !PACKAGE.matcher(p).matches()) errors.add("packages[" + i + "]: '" + p + "' is not a package name");
            }
            if (r.packages().stream().noneMatch(p -> p != null && p.startsWith("linux-image-"))) {
                errors.add("packages: no linux-image-* kernel package");
            }
        }
        try {
            long bytes = Sizes.parseBytes(r.diskSize());
            if (bytes < (1L << 30)) errors.add("disk-size: at least 1G is needed");
        } catch (IllegalArgumentException e) {
            errors.add("disk-size: " + e.getMessage());
        }
        if (blank(r.kernelCmdline()) || !r.kernelCmdline().contains("root=")) {
            errors.add("kernel-cmdline: must name the root device (root=...)");
        }
        if (r.files() != null && baseDir != null && !Files.isDirectory(baseDir.resolve(r.files()))) {
            errors.add("files: directory " + baseDir.resolve(r.files()) + " does not exist");
        }
        for (int i = 0; i < r.enableUnits().size(); i++) {
            String u = r.enableUnits().get(i);
            if (u == null || !UNIT.matcher(u).matches()) errors.add("enable-units[" + i + "]: '" + u + "' is not a unit name");
        }
        return errors;
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
