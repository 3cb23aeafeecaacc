package dev.mosvm.manager.instance;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.mosvm.builder.SafeDelete;
import dev.mosvm.manager.MosvmException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** Reads and writes instance directories under MOSVM_HOME. */
public final class InstanceStore {
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER));
    private final MosvmHome home;

    public InstanceStore(MosvmHome home) {
        this.home = home;
    }

    public MosvmHome home() {
        return home;
    }

    public InstanceLayout layout(String name) {
        return home.instance(name);
    }

    public boolean exists(String name) {
        return Files.isDirectory(layout(name).dir());
    }

    /** The layout of an instance that must exist; a state error (exit 3) names the way out if it does not. */
    public InstanceLayout existing(String name) {
        InstanceNames.validate(name);
        if (!exists(name)) throw MosvmException.state("no instance named '" + name + "'", "see `mosvm list`");
        return layout(name);
    }

    public Optional<InstanceConfig> load(String name) throws IOException {
        Path cfg = layout(name).config();
        return Files.isRegularFile(cfg) ? Optional.of(YAML.readValue(cfg.toFile(), InstanceConfig.class)) : Optional.empty();
    }

    /** Creates the instance directory (private to the user: it holds the secret). */
    public InstanceLayout create(String name) throws IOException {
        Files.createDirectories(home.home());
        InstanceLayout l = layout(name);
        Files.createDirectory(l.dir(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        return l;
    }

    public void save(InstanceConfig cfg) throws IOException {
        YAML.writeValue(layout(cfg.name()).config().toFile(), cfg);
    }

    /** Names of instance directories (hidden directories such as _config are not instances). */
    public List<String> names() throws IOException {
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(home.home())) return out;
        try (Stream<Path> s = Files.list(home.home())) {
            s.filter(Files::isDirectory).map(p -> p.getFileName().toString())
                    .filter(n -> !n.startsWith("_") && !n.startsWith(".")).sorted().forEach(out::add);
        }
        return out;
    }

    public void delete(String name) throws IOException {
        SafeDelete.deleteTree(layout(name).dir());
    }

    /**
     * Writes {@code file} readable by its owner only; a file already there is replaced whole
     * (written beside it, then renamed over it), so a crash never leaves it half-written or gone.
     */
    public static void writePrivate(Path file, String content) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".new");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, content);
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }
}
