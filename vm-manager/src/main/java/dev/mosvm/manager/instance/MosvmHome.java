package dev.mosvm.manager.instance;

import java.nio.file.Path;

/**
 * Root directories: MOSVM_HOME (instances, default ~/.mosvm) and MOSVM_CACHE (built images,
 * default ~/.cache/mosvm). Install paths (agent jar, recipe) come from the launcher.
 */
public record MosvmHome(Path home, Path cache, Path agentJar, Path recipe) {

    public static MosvmHome fromEnvironment() {
        Path userHome = Path.of(System.getProperty("user.home"));
        Path home = env("MOSVM_HOME", userHome.resolve(".mosvm"));
        Path cache = env("MOSVM_CACHE", userHome.resolve(".cache/mosvm"));
        Path agentJar = Path.of(System.getProperty("mosvm.agentJar", "guest-agent/target/mosvm-agent.jar"));
        Path recipe = Path.of(System.getProperty("mosvm.recipe", "images/default.yaml"));
        return new MosvmHome(home.toAbsolutePath(), cache.toAbsolutePath(), agentJar.toAbsolutePath(), recipe.toAbsolutePath());
    }

    private static Path env(String name, Path fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : Path.of(v);
    }

    /** The user's SSH key for every instance (like Lima's _config/user), made at the first `up`. */
    public Path userKey() {
        return home.resolve("_config").resolve("user_ed25519");
    }

    public InstanceLayout instance(String name) {
        return new InstanceLayout(home.resolve(name));
    }
}
