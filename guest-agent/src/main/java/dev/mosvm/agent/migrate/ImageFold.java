package dev.mosvm.agent.migrate;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How to fold a full CRIU dump (the base) into the dump taken incrementally on it (the child),
 * so the child needs the base no more: {@link FlatImage}'s plan, applied to two image
 * directories. Each of the child's process images that takes pages from the base gets the
 * base's pages file, brought up to date with the pages the child holds itself (written at the
 * offsets the base gave them), under a new name in the child's directory, and the base's
 * pagemap pointing at it. Only the child's own pages are written: the base's file is reused.
 *
 * <p>This class says what to do and writes pages; the order of the steps (which a crash may
 * cut anywhere) is the caller's.
 */
public final class ImageFold {
    private static final Pattern PAGES = Pattern.compile("pages-([0-9]+)\\.img");

    /**
     * One process image of the child that takes pages from the base.
     *
     * @param pagemap        its pagemap's name ({@code pagemap-PID.img}, the same in both directories)
     * @param basePages      the base's pages file, which the fold updates in place and the child then takes
     * @param childPages     the child's own pages file, no longer needed once folded
     * @param foldedPages    the name the base's pages file takes in the child's directory
     * @param foldedPagemap  the child's pagemap once folded: the base's pages, all in {@code foldedPages}
     */
    public record Image(String pagemap, String basePages, String childPages, String foldedPages, byte[] foldedPagemap) {}

    private final Path child;
    private final Path base;
    private final List<Image> images;
    /** The copies of each image, in the order of {@link #images}. */
    private final List<List<FlatImage.Copy>> copies;
    private final String refusal;

    private ImageFold(Path child, Path base, List<Image> images, List<List<FlatImage.Copy>> copies, String refusal) {
        this.child = child;
        this.base = base;
        this.images = List.copyOf(images);
        this.copies = List.copyOf(copies);
        this.refusal = refusal;
    }

    /**
     * Plans folding {@code base} (a full dump) into {@code child} (dumped incrementally on it).
     * The fold is refused (see {@link #refusal}) when a process image of the child takes pages
     * from the base but has no plan: its process mapped or dropped memory since the base. The
     * folded pages files are numbered after every pages file in {@code namesInUse} (the files of
     * both checkpoints), each pagemap by its place among the child's pagemaps in name order,
     * switched or not: planning again, part-way through a fold (some pagemaps switched already,
     * so left out of the plan), names the rest the same.
     */
    public static ImageFold plan(Path child, Path base, Collection<String> namesInUse) throws IOException {
        List<Image> images = new ArrayList<>();
        List<List<FlatImage.Copy>> copiesOf = new ArrayList<>();
        long firstId = maxPagesId(namesInUse) + 1;
        List<Path> sorted = new ArrayList<>();
        try (DirectoryStream<Path> maps = Files.newDirectoryStream(child, "pagemap-*.img")) {
            maps.forEach(sorted::add);
        }
        sorted.sort(java.util.Comparator.comparing(m -> m.getFileName().toString()));
        {
            for (int place = 0; place < sorted.size(); place++) {
                Path map = sorted.get(place);
                long id = firstId + place;
                String name = map.getFileName().toString();
                Pagemap top = Pagemap.read(map);
                if (top.entries().stream().noneMatch(e -> e.has(Pagemap.PE_PARENT))) continue; // holds all its pages itself (or is switched)
                Path baseMap = base.resolve(name);
                if (!Files.exists(baseMap)) return refused(child, base, name + " takes pages from a base that has no such image");
                Pagemap bottom = Pagemap.read(baseMap);
                List<FlatImage.Copy> copies = FlatImage.plan(List.of(top.entries(), bottom.entries()));
                if (copies == null) return refused(child, base, "the process of " + name + " mapped or dropped memory since the base");
                Pagemap folded = top.withEntries(bottom.entries()).withPagesId(id);
                images.add(new Image(name, bottom.pagesFileName(), top.pagesFileName(), folded.pagesFileName(), folded.bytes()));
                copiesOf.add(copies);
            }
        }
        return new ImageFold(child, base, images, copiesOf, null);
    }

    private static ImageFold refused(Path child, Path base, String why) {
        return new ImageFold(child, base, List.of(), List.of(), why);
    }

    /** Why there is no fold, or null when there is one. */
    public String refusal() {
        return refusal;
    }

    public List<Image> images() {
        return images;
    }

    /**
     * Writes every page the child holds itself over the base's copy of it, in the base's pages
     * files, and syncs them. Every page the child takes from the base stays as it was, so the
     * child restores the same before, during and after; the base alone no longer does. Done
     * again, it writes the same bytes.
     */
    public void patchBase() throws IOException {
        for (int i = 0; i < images.size(); i++) {
            Image image = images.get(i);
            try (FileChannel to = FileChannel.open(base.resolve(image.basePages()), StandardOpenOption.WRITE)) {
                for (FlatImage.Copy c : copies.get(i)) copy(child.resolve(image.childPages()), to, c);
                to.force(true);
            }
        }
    }

    /** Copies {@code c}'s bytes from the pages file {@code from} into {@code to}. */
    static void copy(Path from, FileChannel to, FlatImage.Copy c) throws IOException {
        try (FileChannel in = FileChannel.open(from)) {
            long done = 0;
            while (done < c.length()) {
                long n = to.transferFrom(in.position(c.from() + done), c.to() + done, c.length() - done);
                if (n <= 0) throw new IOException("short pages file " + from.getFileName());
                done += n;
            }
        }
    }

    private static long maxPagesId(Collection<String> names) {
        long max = 0;
        for (String name : names) {
            Matcher m = PAGES.matcher(name);
            if (m.matches() && m.group(1).length() < 18) max = Math.max(max, Long.parseLong(m.group(1)));
        }
        return max;
    }

    /** Whether {@code name} is a pages file ({@code pages-ID.img}): its sum changes while a fold writes into it. */
    public static boolean isPagesFile(String name) {
        return PAGES.matcher(name).matches();
    }
}
