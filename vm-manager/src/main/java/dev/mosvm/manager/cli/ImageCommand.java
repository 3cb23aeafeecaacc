package dev.mosvm.manager.cli;

import dev.mosvm.builder.ApplianceBuilder;
import dev.mosvm.builder.ApplianceImage;
import dev.mosvm.builder.ImageCache;
import dev.mosvm.builder.ImageManifest;
import dev.mosvm.builder.ImageTransfer;
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
        subcommands = {ImageCommand.Build.class, ImageCommand.ListImages.class, ImageCommand.Verify.class, ImageCommand.Remove.class,
                ImageCommand.Export.class, ImageCommand.Pull.class})
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

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = "Copy a cached image (manifest and files) into a new directory, to publish it or carry it to a workstation that cannot build one (macOS, Windows).")
    static final class Export implements Callable<Integer> {
        @ParentCommand ImageCommand image;
        @Spec CommandSpec spec;

        @Parameters(index = "0", paramLabel = "KEY", description = "Image key (see `mosvm image list`).")
        String key;

        @Parameters(index = "1", paramLabel = "DIR", description = "A directory to make (or an empty one).")
        Path target;

        @Override
        public Integer call() throws Exception {
            ApplianceImage img = image.cache().find(key)
                    .orElseThrow(() -> MosvmException.state("no cached image " + key, "see `mosvm image list`"));
            String sha = ImageTransfer.export(img, target.toAbsolutePath());
            PrintWriter out = spec.commandLine().getOut();
            out.println("image " + key + " exported to " + target.toAbsolutePath() + "; its manifest's SHA-256 is " + sha);
            out.println("on another workstation: mosvm image pull " + target.toAbsolutePath() + " --sha256 " + sha + "   (or the URL it is served at)");
            out.flush();
            return 0;
        }
    }

    @Command(name = "pull", mixinStandardHelpOptions = true,
            description = "Bring an exported image into the cache, from a directory or an http(s) URL of one, checking every file against its manifest; `mosvm up` then uses it instead of building.")
    static final class Pull implements Callable<Integer> {
        @ParentCommand ImageCommand image;
        @Spec CommandSpec spec;

        @Parameters(paramLabel = "SOURCE", description = "A directory made by `mosvm image export`, or an http(s) URL of one.")
        String source;

        @Option(names = "--sha256", paramLabel = "HASH", description = "The manifest's SHA-256 as its publisher gave it (export prints it). Without it the source is trusted.")
        String sha256;

        @Option(names = "--any-key", description = "Take an image this mosvm would not build (another release's); `mosvm up` uses only its own.")
        boolean anyKey;

        @Override
        public Integer call() throws Exception {
            if (sha256 != null && !sha256.strip().matches("[0-9a-fA-F]{64}")) {
                throw MosvmException.invalid("--sha256 takes the 64 hex digits export printed, not '" + sha256 + "'");
            }
            String expected = anyKey ? null : ApplianceBuilder.keyFor(image.root.home.recipe(), image.root.home.agentJar());
            Reporter rep = Reporter.lines(spec.commandLine().getErr());
            long t0 = System.nanoTime();
            ApplianceImage img = ImageTransfer.pull(image.cache(), source, sha256, expected, ApplianceLifecycle.buildProgress(rep));
            PrintWriter out = spec.commandLine().getOut();
            out.printf(Locale.ROOT, "image %s (%s) in %s, every file checked, %.1f s%s%n", img.key(), img.manifest().imageVersion(), img.dir(),
                    (System.nanoTime() - t0) / 1e9, sha256 == null ? " (no --sha256: the manifest was taken on trust)" : "");
            out.flush();
            return 0;
        }
    }
}
