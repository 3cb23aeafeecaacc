package dev.mosvm.manager.cli;

import dev.mosvm.builder.ApplianceBuilder;
import dev.mosvm.builder.ApplianceImage;
import dev.mosvm.builder.ImageCache;
import dev.mosvm.builder.ImageManifest;
import dev.mosvm.builder.Sizes;
import dev.mosvm.manager.MosvmException;
import dev.mosvm.manager.appliance.ApplianceLifecycle;
import dev.mosvm.manager.appliance.Reporter;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "image", mixinStandardHelpOptions = true, description = "Build and manage cached appliance images.",
        subcommands = {ImageCommand.Build.class, ImageCommand.ListImages.class, ImageCommand.Verify.class, ImageCommand.Remove.class})
final class ImageCommand implements Runnable {
    @ParentCommand MosvmCommand root;
    @Spec CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    ImageCache cache() {
        return new ImageCache(root.home.cache());
    }

    @Command(name = "build", mixinStandardHelpOptions = true,
            description = "Build the appliance from a recipe (reuses the cache unless --force).")
    static final class Build implements Callable<Integer> {
        @ParentCommand ImageCommand image;
        @Spec CommandSpec spec;

        @Option(names = "--recipe", paramLabel = "FILE", description = "Recipe YAML (default: the installed images/default.yaml).")
        Path recipe;

        @Option(names = "--force", description = "Rebuild even if the cache has this image.")
        boolean force;

        @Override
        public Integer call() throws Exception {
            Reporter rep = Reporter.lines(spec.commandLine().getErr());
            Path r = recipe != null ? recipe.toAbsolutePath() : image.root.home.recipe();
            long t0 = System.nanoTime();
            ApplianceImage img = new ApplianceBuilder(image.cache())
                    .obtain(r, image.root.home.agentJar(), force, ApplianceLifecycle.buildProgress(rep));
            PrintWriter out = spec.commandLine().getOut();
            out.printf(Locale.ROOT, "image %s (%s) in %s: disk %s, %.1f s%n", img.key(), img.manifest().imageVersion(),
                    img.dir(), Sizes.human(img.manifest().files().get(ApplianceImage.DISK).size()), (System.nanoTime() - t0) / 1e9);
            out.flush();
            return 0;
        }
    }

    @Command(name = "list", aliases = "ls", mixinStandardHelpOptions = true, description = "List cached images.")
    static final class ListImages implements Callable<Integer> {
        @ParentCommand ImageCommand image;
        @Spec CommandSpec spec;

        @Mixin JsonOutput output;

        @Override
        public Integer call() throws Exception {
            var images = image.cache().list();
            output.print(spec, images.stream().map(ApplianceImage::manifest).toList(), out -> {
                out.printf("%-18s %-22s %10s  %s%n", "KEY", "VERSION", "DISK", "BUILT");
                for (ApplianceImage i : images) {
                    ImageManifest m = i.manifest();
                    out.printf("%-18s %-22s %10s  %s%n", m.key(), m.imageVersion(),
                            Sizes.human(m.files().get(ApplianceImage.DISK).size()), m.builtAt());
                }
            });
            return 0;
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true, description = "Check a cached image's files against its manifest.")
    static final class Verify implements Callable<Integer> {
        @ParentCommand ImageCommand image;
        @Spec CommandSpec spec;

        @Parameters(paramLabel = "KEY", description = "Image key (see `mosvm image list`).")
        String key;

        @Override
        public Integer call() throws Exception {
            ApplianceImage img = image.cache().find(key)
                    .orElseThrow(() -> MosvmException.state("no cached image " + key, "see `mosvm image list`"));
            ImageCache.verify(img);
            spec.commandLine().getOut().println("image " + key + ": all checksums match");
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true, description = "Delete a cached image.")
    static final class Remove implements Callable<Integer> {
        @ParentCommand ImageCommand image;
        @Spec CommandSpec spec;

        @Parameters(paramLabel = "KEY", description = "Image key.")
        String key;

        @Override
        public Integer call() throws Exception {
            if (image.cache().find(key).isEmpty()) throw MosvmException.state("no cached image " + key, "see `mosvm image list`");
            var store = image.root.store();
            for (String n : store.names()) {
                if (store.load(n).map(c -> key.equals(c.imageKey())).orElse(false)) {
                    throw MosvmException.state("image " + key + " is in use by instance '" + n + "'",
                            "destroy the instance first: mosvm destroy " + n);
                }
            }
            image.cache().remove(key);
            spec.commandLine().getOut().println("image " + key + " removed");
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}
