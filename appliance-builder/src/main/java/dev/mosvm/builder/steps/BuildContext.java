package dev.mosvm.builder.steps;

import dev.mosvm.builder.ProgressListener;
import dev.mosvm.builder.Recipe;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/** What the steps of one build share: inputs, the work directory, and facts found on the way. */
public final class BuildContext {
    public final Recipe recipe;
    public final Path recipeFile;
    public final Path agentJar;
    public final String key;
    public final Path work;
    public final ProgressListener progress;
    public final Map<String, String> packageVersions = new TreeMap<>();
    public long rootfsBytes;

    public BuildContext(Recipe recipe, Path recipeFile, Path agentJar, String key, Path work, ProgressListener progress) {
        this.recipe = recipe;
        this.recipeFile = recipeFile;
        this.agentJar = agentJar;
        this.key = key;
        this.work = work;
        this.progress = progress;
    }

    public Path rootfs() {
        return work.resolve("rootfs");
    }

    public Path filesTree() {
        return recipe.files() == null ? null : recipeFile.toAbsolutePath().getParent().resolve(recipe.files());
    }

    public String imageVersion() {
        return recipe.version() + "+" + key;
    }
}
