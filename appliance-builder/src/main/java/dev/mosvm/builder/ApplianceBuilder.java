package dev.mosvm.builder;

import dev.mosvm.builder.steps.Bootstrap;
import dev.mosvm.builder.steps.BuildContext;
import dev.mosvm.builder.steps.BuildStep;
import dev.mosvm.builder.steps.CheckHost;
import dev.mosvm.builder.steps.CompileTools;
import dev.mosvm.builder.steps.ExtractKernel;
import dev.mosvm.builder.steps.InstallAgent;
import dev.mosvm.builder.steps.MakeDisk;
import dev.mosvm.builder.steps.SelfTestAgent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Finds or builds the appliance for a recipe and agent jar. The cache is looked up first by
 * the inputs' content digest; a build runs its steps in a private work directory that is
 * published by one rename, or deleted whole on any failure.
 */
public final class ApplianceBuilder {
    private final ImageCache cache;

    public ApplianceBuilder(ImageCache cache) {
        this.cache = cache;
    }

    public static List<BuildStep> steps() {
        return List.of(new CheckHost(), new Bootstrap(), new InstallAgent(), new CompileTools(), new SelfTestAgent(), new ExtractKernel(), new MakeDisk());
    }

    /** The cache key for these inputs, validating the recipe on the way. */
    public static String keyFor(Path recipeFile, Path agentJar) throws BuildException, IOException {
        Recipe recipe = RecipeLoader.load(recipeFile);
        requireJar(agentJar);
        return CacheKey.compute(recipeFile, recipe, agentJar);
    }

    public Optional<ApplianceImage> cached(Path recipeFile, Path agentJar) throws BuildException, IOException {
        return cache.find(keyFor(recipeFile, agentJar));
    }

    /** Returns the cached image or builds it; {@code force} rebuilds even on a hit. */
    public ApplianceImage obtain(Path recipeFile, Path agentJar, boolean force, ProgressListener progress)
            throws BuildException, IOException, InterruptedException {
        Recipe recipe = RecipeLoader.load(recipeFile);
        requireJar(agentJar);
        String key = CacheKey.compute(recipeFile, recipe, agentJar);
        Optional<ApplianceImage> cachedImage = cache.find(key);
        if (cachedImage.isPresent() && !force) return cachedImage.get();
        // Check the host before touching the cache: a user who cannot build must hear why,
        // not fail on the cache's lock file.
        try {
            new CheckHost().run(new BuildContext(recipe, recipeFile, agentJar, key, cache.root().resolve(".build-" + key), progress));
        } catch (BuildException | IOException e) {
            throw e;
        } catch (Exception e) {
            throw new BuildException("cannot check the build host: " + e, "see the message above", e);
        }
        try (LockFile lock = cache.lock(key)) {
            Optional<ApplianceImage> hit = cache.find(key);
            if (hit.isPresent() && !force) return hit.get();
            if (hit.isPresent()) cache.remove(key);
            return build(recipe, recipeFile, agentJar, key, progress);
        }
    }

    private ApplianceImage build(Recipe recipe, Path recipeFile, Path agentJar, String key, ProgressListener progress)
            throws BuildException, IOException, InterruptedException {
        Path work = cache.root().resolve(".build-" + key);
        SafeDelete.deleteTree(work); // leftovers of a killed build
        BuildContext ctx = new BuildContext(recipe, recipeFile, agentJar, key, work, progress);
        long start = System.nanoTime();
        List<BuildStep> steps = steps();
        boolean ok = false;
        try {
            for (int i = 0; i < steps.size(); i++) {
                BuildStep step = steps.get(i);
                progress.stepStarted(i + 1, steps.size(), step.description());
                long t0 = System.nanoTime();
                step.run(ctx);
                progress.stepFinished(i + 1, steps.size(), step.description(), (System.nanoTime() - t0) / 1_000_000);
            }
            ImageManifest manifest = writeManifest(ctx, (System.nanoTime() - start) / 1_000_000_000L);
            cache.publish(work, key);
            ok = true;
            return new ApplianceImage(cache.root().resolve(key), manifest);
        } catch (BuildException | IOException | InterruptedException e) {
            throw e;
        } catch (Exception e) {
            throw new BuildException("image build failed: " + e, "see the step named above", e);
        } finally {
            if (!ok) SafeDelete.deleteTree(work);
        }
    }

    private static ImageManifest writeManifest(BuildContext ctx, long seconds) throws IOException {
        Map<String, ImageManifest.FileEntry> files = new TreeMap<>();
        for (String name : List.of(ApplianceImage.DISK, ApplianceImage.KERNEL, ApplianceImage.INITRD)) {
            Path f = ctx.work.resolve(name);
            files.put(name, new ImageManifest.FileEntry(Files.size(f), CacheKey.sha256(f)));
        }
        ImageManifest m = new ImageManifest(ctx.key, ctx.recipe.name(), ctx.recipe.version(), Instant.now().toString(),
                ctx.recipe.kernelCmdline(), seconds, ctx.packageVersions, files, ctx.rootfsBytes);
        ImageCache.JSON.writeValue(ctx.work.resolve(ApplianceImage.MANIFEST).toFile(), m);
        return m;
    }

    private static void requireJar(Path agentJar) throws BuildException {
        if (agentJar == null || !Files.isRegularFile(agentJar)) {
            throw new BuildException("guest agent jar not found at " + agentJar, "build it first: mvn -q -DskipTests package");
        }
    }
}
