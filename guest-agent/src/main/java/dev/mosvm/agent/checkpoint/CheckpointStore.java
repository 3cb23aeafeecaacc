package dev.mosvm.agent.checkpoint;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import dev.mosvm.agent.checkpoint.CheckpointManifest.FileSum;
import dev.mosvm.agent.layout.GuestLayout;
import dev.mosvm.agent.migrate.ImageFold;
import dev.mosvm.agent.wire.PeerRequest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The checkpoints of one home's jobs, in {@code /pool/HOME/.mosvm-checkpoints/JOB/N/}: where
 * they are taken, how they are sealed, listed, verified and pruned (docs/migration.md,
 * "Checkpoints on disk"). The node a job runs on writes CRIU's images into a directory this
 * store {@linkplain #reserve reserves}, over NFS when that is not the home; {@linkplain #seal
 * sealing} then sums every file and writes a signed manifest, atomically. Only a sealed
 * checkpoint is one: a directory without a manifest is a checkpoint being taken, or one whose
 * taker stopped part-way.
 *
 * <p>Everything read here comes from a directory every pool node can write, and names a user
 * types: every path is resolved to its real one and must stay under the root, every manifest
 * is checked and its MAC verified, and the root must be a directory of the agent's own (the
 * home's shared directory is world-writable, so a user could have made one there first).
 * Directories are made mode 0700: the images hold the jobs' memory.
 */
public final class CheckpointStore {
    /** The signed manifest in a sealed checkpoint's directory. */
    public static final String MANIFEST = "manifest.json";
    /** CRIU's link from an incremental checkpoint to the one it adds to ({@code ../M}). */
    public static final String PARENT_LINK = "parent";
    /** A full checkpoint being folded into the one that adds to it: its manifest, moved aside, so it is listed no more but still read as that one's parent. */
    public static final String FOLDED = "folded.json";
    /** The manifest a checkpoint has once its parent is folded into it: sealed before the fold changes its files, renamed to {@link #MANIFEST} to end it. */
    public static final String FOLD_MANIFEST = "manifest.fold.json";
    /** What a file is called while it is written, before its rename. */
    private static final String PART = ".part";
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");
    private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY_DIR = PosixFilePermissions.asFileAttribute(OWNER_ONLY);
    private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY_FILE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    private static final Pattern NUMBER = Pattern.compile("[1-9][0-9]{0,8}");
    private static final Pattern PARENT_TARGET = Pattern.compile("\\.\\./(" + NUMBER.pattern() + ")");
    /** Where checkpoints are, as a user is told. */
    private static final String WHERE = GuestLayout.POOL_ROOT + "/NODE/" + GuestLayout.CHECKPOINTS_DIR_NAME;
    private static final int MIN_KEY_BYTES = 16;
    private static final int MAX_QUOTED_CHARS = 256; // a path a user types fits
    private static final HexFormat HEX = HexFormat.of();

    private final Path root;
    private final String home;
    private final byte[] key;
    private final Clock clock;
    /** Who the root must belong to: the agent's own user. */
    private final long agentUid = new com.sun.security.auth.module.UnixSystem().getUid();

    /** A checkpoint and the directories a restart reads, from its own down to its full ancestor's. */
    public record Verified(CheckpointManifest manifest, List<Path> chain) {
        public Verified {
            chain = List.copyOf(chain);
        }

        /** The checkpoint's own directory (CRIU's --images-dir). */
        public Path dir() {
            return chain.get(0);
        }
    }

    /**
     * @param root  one home's checkpoints, {@code /pool/HOME/.mosvm-checkpoints} (the home is its parent's name)
     * @param key   what manifests are sealed with (see Checkpointer.SEAL_KEY: the seal detects damage and edits; who may write rests on the root-owned directory)
     * @param clock stamps the time a checkpoint is sealed
     */
    public CheckpointStore(Path root, byte[] key, Clock clock) {
        this.root = root.toAbsolutePath().normalize();
        Path homeDir = this.root.getParent();
        if (homeDir == null || homeDir.getFileName() == null) throw new IllegalArgumentException("no home above " + root);
        if (key.length < MIN_KEY_BYTES) throw new IllegalArgumentException("a checkpoint key of " + key.length + " bytes is too short");
        this.home = homeDir.getFileName().toString();
        this.key = key.clone();
        this.clock = clock;
    }

    /** The store of {@code home}'s checkpoints at their place in the pool, {@link GuestLayout#checkpointsOf}. */
    public static CheckpointStore atHome(String home, byte[] key, Clock clock) {
        return new CheckpointStore(GuestLayout.checkpointsOf(home), key, clock);
    }

    public Path root() {
        return root;
    }

    public String home() {
        return home;
    }

    /** Where checkpoint {@code number} of {@code job} is (whether or not it exists). */
    public Path dirOf(String job, int number) {
        return root.resolve(job).resolve(Integer.toString(number));
    }

    /**
     * Makes the directory of {@code job}'s next checkpoint, numbered after every one it has
     * (sealed or not), and the root's and job's directories as needed: all mode 0700.
     */
    public Path reserve(String job) throws IOException {
        requireJobId(job);
        if (!rootExists()) {
            try {
                Files.createDirectory(root, OWNER_ONLY_DIR);
            } catch (FileAlreadyExistsException e) {
                rootExists(); // made meanwhile: it must still be the agent's
            } catch (NoSuchFileException e) {
                throw new CheckpointException("checkpoints at home " + home, "cannot be stored: " + root.getParent() + " is not there");
            }
        }
        Files.setPosixFilePermissions(root, OWNER_ONLY); // whatever the umask was
        Path jobDir = ownerOnlyDir(root.resolve(job));
        int next = numbers(job).stream().mapToInt(Integer::intValue).max().orElse(0) + 1;
        for (; ; next++) {
            if (next > CheckpointManifest.MAX_NUMBER) throw new CheckpointException("job " + job, "has used every checkpoint number");
            Path dir = jobDir.resolve(Integer.toString(next));
            try {
                Files.createDirectory(dir, OWNER_ONLY_DIR);
            } catch (FileAlreadyExistsException e) {
                continue; // another taker reserved it first
            }
            Files.setPosixFilePermissions(dir, OWNER_ONLY);
            syncDir(jobDir);
            return dir;
        }
    }

    private static Path ownerOnlyDir(Path dir) throws IOException {
        try {
            Files.createDirectory(dir, OWNER_ONLY_DIR);
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(dir, NOFOLLOW_LINKS)) throw new IOException(dir + " is not a directory");
        }
        Files.setPosixFilePermissions(dir, OWNER_ONLY);
        return dir;
    }

    /**
     * Seals the checkpoint the taker wrote into {@code dir} (one {@link #reserve} made): sums
     * every file in it, signs {@code unsigned} with the sums and the time, and writes it as the
     * manifest (a temporary file, synced, renamed, the directory synced). The directory may hold
     * CRIU's image files and, for an incremental checkpoint, its link {@code parent -> ../M} to
     * a sealed checkpoint M, the one {@code unsigned} names; anything else is refused.
     *
     * @return the manifest as written
     */
    public CheckpointManifest seal(Path dir, CheckpointManifest unsigned) throws IOException {
        Path d = dir.toAbsolutePath().normalize();
        if (d.getParent() == null || !root.equals(d.getParent().getParent())) throw new IllegalArgumentException(dir + " is not under " + root);
        String job = d.getParent().getFileName().toString();
        String name = d.getFileName().toString();
        if (!job.equals(unsigned.job()) || !name.equals(Integer.toString(unsigned.number()))) {
            throw new IllegalArgumentException(dir + " is not the directory of " + unsigned.name());
        }
        String subject = unsigned.name();
        String bad = unsigned.problem(false);
        if (bad != null) throw new CheckpointException(subject, "cannot be sealed: its manifest " + bad);
        if (!home.equals(unsigned.spec().home())) {
            throw new CheckpointException(subject, "cannot be sealed at home " + home + ": its job's home is " + unsigned.spec().home());
        }
        // the job's directory too: through a link, sealing would read and write outside the store
        if (!rootExists() || !Files.isDirectory(d.getParent(), NOFOLLOW_LINKS) || !Files.isDirectory(d, NOFOLLOW_LINKS)) {
            throw missing(job, unsigned.number());
        }
        if (Files.exists(d.resolve(MANIFEST), NOFOLLOW_LINKS)) throw new CheckpointException(subject, "cannot be sealed: it is sealed already");
        Files.deleteIfExists(d.resolve(MANIFEST + PART)); // a seal that stopped before its rename

        Map<String, FileSum> files = new TreeMap<>();
        boolean linked = false;
        for (Map.Entry<String, BasicFileAttributes> e : entries(d).entrySet()) {
            String file = e.getKey();
            BasicFileAttributes a = e.getValue();
            if (file.equals(PARENT_LINK) && a.isSymbolicLink()) {
                sealableParent(unsigned, d.resolve(file));
                linked = true;
            } else if (a.isRegularFile() && !file.equals(PARENT_LINK) && CheckpointManifest.FILE_NAME.matcher(file).matches()) {
                files.put(file, sum(d.resolve(file), true));
            } else {
                throw new CheckpointException(subject, "cannot be sealed: " + quoted(file) + " is " + kind(a)
                        + ", and only image files and its parent link belong there");
            }
        }
        if (unsigned.parent() != 0 && !linked) {
            throw new CheckpointException(subject, "cannot be sealed: it adds to " + CheckpointManifest.nameOf(job, unsigned.parent())
                    + " but has no parent link");
        }
        CheckpointManifest sealed = unsigned.sealed(clock.instant(), files, key);
        bad = sealed.problem(true); // never write what no reader would take (too many files, say)
        if (bad != null) throw new CheckpointException(subject, "cannot be sealed: its manifest " + bad);
        writeManifest(d, MANIFEST, sealed.toJson());
        return sealed;
    }

    /** Checks {@code link} is "../M" to the sealed checkpoint M that {@code unsigned} adds to. */
    private void sealableParent(CheckpointManifest unsigned, Path link) throws IOException {
        String target = Files.readSymbolicLink(link).toString();
        Matcher m = PARENT_TARGET.matcher(target);
        if (!m.matches() || Integer.parseInt(m.group(1)) != unsigned.parent()) {
            throw new CheckpointException(unsigned.name(), "cannot be sealed: its parent link leads to " + quoted(target)
                    + ", not to ../" + unsigned.parent() + (unsigned.parent() == 0 ? " (its manifest says it is a full one)" : ""));
        }
        needed(unsigned.name(), "cannot be sealed: it adds to ", unsigned.job(), unsigned.parent(), this::readSealed);
    }

    private static void writeManifest(Path dir, String name, byte[] json) throws IOException {
        writeAtomically(dir, name, json);
    }

    /** Writes {@code bytes} as {@code dir/name}, replacing it whole: a temporary file, synced, renamed, the directory synced. */
    private static void writeAtomically(Path dir, String name, byte[] bytes) throws IOException {
        Path part = dir.resolve(name + PART);
        Files.deleteIfExists(part); // a write that stopped before its rename
        try (FileChannel ch = FileChannel.open(part, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), OWNER_ONLY_FILE)) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) ch.write(b);
            ch.force(true);
        }
        Files.move(part, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
        syncDir(dir);
    }

    private static void syncDir(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /**
     * The sealed checkpoints of {@code job}, oldest first: each manifest's fields and MAC are
     * checked (not its files: {@link #verify} reads those). A directory whose manifest fails is
     * left out, as one without a manifest is.
     */
    public List<CheckpointManifest> list(String job) throws IOException {
        requireJobId(job);
        List<CheckpointManifest> sealed = new ArrayList<>();
        for (int n : numbers(job)) {
            if (!Files.exists(dirOf(job, n).resolve(MANIFEST), NOFOLLOW_LINKS)) continue;
            try {
                sealed.add(readSealed(job, n));
            } catch (CheckpointException e) {
                // damaged, moved or not this pool's: no checkpoint to anyone (verify says why to whoever names it)
            }
        }
        return sealed;
    }

    /** The newest sealed checkpoint of {@code job} (as {@link #list}). */
    public Optional<CheckpointManifest> latest(String job) throws IOException {
        List<CheckpointManifest> all = list(job);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    /** The bytes a restart from {@code m} reads: its image files and those of every ancestor (from their manifests). */
    public long chainBytes(CheckpointManifest m) throws IOException {
        long total = 0;
        for (CheckpointManifest c : chain(m, this::readAncestor)) total += c.bytes();
        return total;
    }

    /**
     * The checkpoint {@code reference} names, checked through and through for user
     * {@code callerUid} (0 may use any; anyone else only their own jobs'): it exists and is
     * sealed, its manifest is valid and signed with this pool's key, every file has the size
     * and SHA-256 its manifest says and no other file is there, and the same holds for every
     * ancestor it adds to.
     *
     * @param reference a job id (its newest sealed checkpoint), {@code JOB/N}, or the absolute path of a checkpoint's directory
     * @throws CheckpointException with one line on what is wrong, naming the checkpoint
     */
    public Verified verify(String reference, int callerUid) throws CheckpointException {
        Target target = resolve(reference);
        String job = target.job;
        try {
            int number = target.number == null ? newestSealed(job) : target.number;
            CheckpointManifest top = check(job, number, callerUid, false);
            List<Path> chain = new ArrayList<>();
            for (CheckpointManifest c : chain(top, (j, n) -> check(j, n, callerUid, true))) chain.add(dirOf(job, c.number()));
            return new Verified(top, chain);
        } catch (CheckpointException e) {
            throw e;
        } catch (IOException e) {
            throw new CheckpointException("checkpoints of job " + job, "cannot be read at home " + home + ": " + oneLine(e));
        }
    }

    /** How one checkpoint of a chain is read: checked, or only its manifest. */
    private interface Reader {
        CheckpointManifest read(String job, int number) throws IOException;
    }

    /** {@code top} and its ancestors down to its full one, each read with {@code reader}; a failing one fails as what {@code top} needs. */
    private List<CheckpointManifest> chain(CheckpointManifest top, Reader reader) throws IOException {
        List<CheckpointManifest> chain = new ArrayList<>(List.of(top));
        CheckpointManifest c = top;
        while (c.parent() != 0) {
            c = needed(top.name(), "needs ", top.job(), c.parent(), reader);
            chain.add(c);
        }
        return chain;
    }

    /**
     * Checkpoint {@code number} of {@code job}, which {@code subject} needs, read with {@code reader};
     * if it is gone or fails, that is {@code subject}'s problem: {@code needs} + "checkpoint JOB/N, which ...".
     */
    private CheckpointManifest needed(String subject, String needs, String job, int number, Reader reader) throws IOException {
        Path dir = dirOf(job, number);
        if (!Files.exists(dir.resolve(MANIFEST), NOFOLLOW_LINKS) && !Files.exists(dir.resolve(FOLDED), NOFOLLOW_LINKS)) { // pruning removes the manifest first
            throw new CheckpointException(subject, needs + CheckpointManifest.nameOf(job, number) + ", which is gone");
        }
        try {
            return reader.read(job, number);
        } catch (CheckpointException e) {
            throw new CheckpointException(subject, needs + e.subject() + ", which " + e.problem());
        }
    }

    /** Deletes every checkpoint directory of {@code job} but its last {@code keep} sealed checkpoints and what they need ({@link Retention}). */
    public void prune(String job, int keep) throws IOException {
        requireJobId(job);
        if (!rootExists()) return;
        for (int n : Retention.toDelete(history(job), numbers(job), keep)) delete(dirOf(job, n));
    }

    /**
     * The sealed checkpoints of {@code job} as retention sees them: those {@link #list} lists,
     * and a full one being folded (a fold cut short) while a listed one still adds to it: not a
     * checkpoint of its own any more, yet needed, and folded again by the next {@link #compact}.
     */
    public List<Retention.Sealed> history(String job) throws IOException {
        List<Retention.Sealed> sealed = new ArrayList<>(list(job).stream().map(Retention.Sealed::of).toList());
        Set<Integer> parents = new TreeSet<>(sealed.stream().map(Retention.Sealed::parent).toList());
        for (int n : numbers(job)) {
            if (parents.contains(n) && !Files.exists(dirOf(job, n).resolve(MANIFEST), NOFOLLOW_LINKS)
                    && Files.exists(dirOf(job, n).resolve(FOLDED), NOFOLLOW_LINKS)) {
                sealed.add(new Retention.Sealed(n, 0));
            }
        }
        return sealed;
    }

    /**
     * Keeps {@code job}'s last {@code keep} checkpoints and no more, without dumping any again:
     * while one of them needs an older one, its chain's full base is folded into the next one
     * ({@link Retention#toFold}), then what is no longer needed is deleted ({@link #prune}).
     *
     * @return why a fold was refused (the chain then stays as it is: the next checkpoint is full), or null
     */
    public String compact(String job, int keep) throws IOException {
        requireJobId(job);
        if (!rootExists()) return null;
        return holding(job, () -> {
            String refused = null;
            for (Retention.Fold f; refused == null && (f = Retention.toFold(history(job), keep)) != null; ) {
                refused = fold(job, f.base(), f.child());
            }
            prune(job, keep);
            return refused;
        });
    }

    /** The steps of a {@link #fold}, in order: a fold cut short after any of them leaves the child restorable, and folding again finishes it. */
    enum FoldStep { PLAN, UNLIST_BASE, PATCH_BASE, SEAL_FOLDED, LINK_PAGES, SWITCH_PAGEMAPS, DROP_OLD, COMMIT, DELETE_BASE }

    /**
     * Folds checkpoint {@code base} (a full one) into {@code child} (incremental on it), so the
     * child holds every page itself and the base goes ({@link ImageFold}): no dump, no freeze.
     *
     * <p>The node may die at any step, and another may restore the child meanwhile, so the
     * child restores, and verifies, after every step:
     * <ol>
     * <li>PLAN reads only. A refusal changes nothing.
     * <li>UNLIST_BASE moves the base's manifest aside ({@link #FOLDED}): the base's pages file
     *     is about to change, so it must stop being a checkpoint of its own first. It is still
     *     read, and verified, as the child's parent.
     * <li>PATCH_BASE writes each page the child holds itself over the base's copy of it. CRIU
     *     reads from the base only the pages the child does not hold, which stay untouched, so
     *     the child (and any checkpoint on it) restores the same throughout. The base's pages
     *     files are checked by size only from UNLIST_BASE on: their sums are in flux.
     * <li>SEAL_FOLDED sums the patched files and seals the child's folded manifest beside its
     *     own ({@link #FOLD_MANIFEST}); until it replaces it, a file of the child may match
     *     either manifest.
     * <li>LINK_PAGES hard-links each patched pages file into the child under the new name the
     *     folded manifest lists (no copy: the same file).
     * <li>SWITCH_PAGEMAPS replaces each of the child's pagemaps, atomically, by the folded one
     *     (the base's pages, all in the linked file). Each process image is whole either way:
     *     an old pagemap still finds its pages file and its parent, a new one its linked file.
     * <li>DROP_OLD removes what only the old pagemaps needed: the child's own pages files and its
     *     parent link. The directory then matches the folded manifest exactly.
     * <li>COMMIT renames the folded manifest over the child's: it is a full checkpoint.
     * <li>DELETE_BASE deletes the base, which nothing needs any more.
     * </ol>
     * Every step can be done again: a fold cut short is finished by folding again (the plan of
     * the pagemaps not switched yet names the same files).
     *
     * <p>Home folds while the job's node may take the next checkpoint, and that is safe. A fold
     * touches only sealed checkpoints, the base and the child; a checkpoint being written has no
     * manifest, is numbered after every directory ({@link #reserve}: the numbers come from
     * atomic directory creation), and prune keeps an unsealed directory newer than the newest
     * sealed one. A new checkpoint adds only to the newest one, and only while its chain holds at
     * most {@code keep} ({@link Retention#parentFor}, with {@code keep + 1}); a fold of the newest
     * one's chain starts only when it is longer than {@code keep} and, until COMMIT,
     * {@link #history} still counts the base in it: so no checkpoint is added to a chain while it
     * is being folded, but for DELETE_BASE, whose base nothing refers to any more. The checkpoint
     * taken meanwhile is full, and the chain folded stays one of the last {@code keep}: the next
     * compaction folds it too, a chain no checkpoint is added to. (ConcurrentFoldTest runs both at
     * once.) A reader of the chain's manifests meanwhile ({@link #chainBytes}) may find the base gone.
     *
     * @return why there is no fold (a process mapped or dropped memory since the base), or null once folded
     */
    public String fold(String job, int base, int child) throws IOException {
        return fold(job, base, child, FoldStep.DELETE_BASE);
    }

    /** {@link #fold} stopped after step {@code last}, as if its node died there. */
    String fold(String job, int base, int child, FoldStep last) throws IOException {
        requireJobId(job);
        return holding(job, () -> foldHeld(job, base, child, last));
    }

    /** Work on a job's checkpoints that must not overlap a fold of them. */
    public interface Held<T> {
        T run() throws IOException;
    }

    /**
     * One lock per job's checkpoint directory in this JVM. Home folds its jobs' checkpoints and
     * home alone restores from them (recovery, mosrun -R), so holding it while a restore verifies
     * and reads a chain keeps a fold from moving files under it; a fold's readers elsewhere
     * (a runner listing manifests) need no lock, as {@link #fold} says.
     */
    public <T> T holding(String job, Held<T> body) throws IOException {
        Object lock = JOB_LOCKS.computeIfAbsent(root.resolve(job).toAbsolutePath().normalize(), d -> new Object());
        synchronized (lock) {
            return body.run();
        }
    }

    /** A lock per job directory ever folded or restored here: an object each, a few bytes a job. */
    private static final Map<Path, Object> JOB_LOCKS = java.util.Collections.synchronizedMap(new java.util.HashMap<>());

    private String foldHeld(String job, int base, int child, FoldStep last) throws IOException {
        Path b = dirOf(job, base);
        Path c = dirOf(job, child);
        CheckpointManifest mc = readSealed(job, child);
        if (mc.parent() == 0) { // folded already; its base may be left
            if (Files.exists(b.resolve(FOLDED), NOFOLLOW_LINKS) && !Files.exists(b.resolve(MANIFEST), NOFOLLOW_LINKS)) delete(b);
            return null;
        }
        if (mc.parent() != base) throw new CheckpointException(mc.name(), "cannot be folded: it adds to " + mc.parent() + ", not to " + base);
        CheckpointManifest mb = readAncestor(job, base);
        if (mb.parent() != 0) throw new CheckpointException(mb.name(), "cannot be folded: it is not a full checkpoint");
        Set<String> names = new TreeSet<>(mc.files().keySet());
        names.addAll(mb.files().keySet());
        ImageFold plan = ImageFold.plan(c, b, names);
        if (plan.refusal() != null || last == FoldStep.PLAN) return plan.refusal();

        if (Files.exists(b.resolve(MANIFEST), NOFOLLOW_LINKS)) {
            Files.move(b.resolve(MANIFEST), b.resolve(FOLDED), StandardCopyOption.ATOMIC_MOVE);
            syncDir(b);
        }
        if (last == FoldStep.UNLIST_BASE) return null;

        plan.patchBase();
        if (last == FoldStep.PATCH_BASE) return null;

        CheckpointManifest folded = pendingFold(job, child);
        if (folded == null) { // no pagemap is switched before it is sealed: the plan covers every one
            Map<String, FileSum> files = new TreeMap<>(mc.files());
            long pagesBytes = 0;
            for (ImageFold.Image i : plan.images()) {
                files.remove(i.childPages());
                files.put(i.pagemap(), sum(i.foldedPagemap()));
                files.put(i.foldedPages(), sum(b.resolve(i.basePages()), true));
            }
            for (Map.Entry<String, FileSum> f : files.entrySet()) if (ImageFold.isPagesFile(f.getKey())) pagesBytes += f.getValue().size();
            folded = mc.folded(pagesBytes, files, key);
            String bad = folded.problem(true);
            if (bad != null) throw new CheckpointException(mc.name(), "cannot be folded: its manifest " + bad);
            writeManifest(c, FOLD_MANIFEST, folded.toJson());
        }
        for (ImageFold.Image i : plan.images()) { // a fold resumed must do what its sealed manifest says, or nothing
            if (!folded.files().containsKey(i.foldedPages()) || !sum(i.foldedPagemap()).equals(folded.files().get(i.pagemap()))) {
                throw new CheckpointException(mc.name(), "cannot be folded: the fold under way does not match a new plan of " + i.pagemap()
                        + "; it is left as it is");
            }
        }
        if (last == FoldStep.SEAL_FOLDED) return null;

        for (ImageFold.Image i : plan.images()) {
            Path linked = c.resolve(i.foldedPages());
            if (!Files.exists(linked, NOFOLLOW_LINKS)) Files.createLink(linked, b.resolve(i.basePages()));
        }
        syncDir(c);
        if (last == FoldStep.LINK_PAGES) return null;

        for (ImageFold.Image i : plan.images()) writeAtomically(c, i.pagemap(), i.foldedPagemap());
        if (last == FoldStep.SWITCH_PAGEMAPS) return null;

        for (String name : entries(c).keySet()) { // the parent link last: while an old pages file is left, the child still verifies as adding to the base
            if (!name.equals(MANIFEST) && !name.equals(FOLD_MANIFEST) && !name.equals(PARENT_LINK) && !folded.files().containsKey(name)) {
                Files.delete(c.resolve(name));
            }
        }
        Files.deleteIfExists(c.resolve(PARENT_LINK));
        syncDir(c);
        if (last == FoldStep.DROP_OLD) return null;

        Files.move(c.resolve(FOLD_MANIFEST), c.resolve(MANIFEST), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        syncDir(c);
        if (last == FoldStep.COMMIT) return null;

        delete(b);
        return null;
    }

    /** The folded manifest beside checkpoint {@code number}'s own, if a fold sealed one (checked and its MAC verified), or null. */
    private CheckpointManifest pendingFold(String job, int number) throws IOException {
        Path file = dirOf(job, number).resolve(FOLD_MANIFEST);
        if (!Files.isRegularFile(file, NOFOLLOW_LINKS)) return null;
        CheckpointManifest f = readManifest(job, number, FOLD_MANIFEST);
        return f.parent() == 0 ? f : null;
    }

    /** Deletes every checkpoint of {@code job}, sealed or not (the job ended, or its user asked). */
    public void forget(String job) throws IOException {
        requireJobId(job);
        if (!rootExists() || !Files.isDirectory(root.resolve(job), NOFOLLOW_LINKS)) return;
        for (int n : numbers(job)) Files.deleteIfExists(dirOf(job, n).resolve(MANIFEST)); // unsealed first: a half-deleted one is no checkpoint
        deleteTree(root.resolve(job));
    }

    /** Unseals then removes a checkpoint's directory: a deletion cut short leaves no sealed checkpoint with files missing. */
    private static void delete(Path dir) throws IOException {
        if (Files.isDirectory(dir, NOFOLLOW_LINKS)) Files.deleteIfExists(dir.resolve(MANIFEST));
        deleteTree(dir);
    }

    private static void deleteTree(Path top) throws IOException {
        Files.walkFileTree(top, new SimpleFileVisitor<>() { // links are removed, never followed
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null) throw e;
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** What a reference names: a job's checkpoint, or (no number) its newest sealed one. */
    /** The job a checkpoint reference names (a job id, JOB/N, or a checkpoint's path); throws as {@link #verify} would. */
    public String jobOf(String reference) throws CheckpointException {
        return resolve(reference).job;
    }

    private record Target(String job, Integer number) {
        static Target of(String job, String number) {
            return new Target(job, number == null ? null : Integer.valueOf(number));
        }
    }

    /** The checkpoint a reference names; a path must really be (not only name) a directory under the root. */
    private Target resolve(String reference) throws CheckpointException {
        if (reference == null || reference.isEmpty()) throw namesNothing("\"\"");
        rootExists();
        if (reference.startsWith("/")) return underRoot(reference);
        int slash = reference.indexOf('/');
        String job = slash < 0 ? reference : reference.substring(0, slash);
        String number = slash < 0 ? null : reference.substring(slash + 1);
        if (!PeerRequest.isJobId(job) || (number != null && !NUMBER.matcher(number).matches())) {
            throw namesNothing(quoted(reference));
        }
        return Target.of(job, number);
    }

    private static CheckpointException namesNothing(String reference) {
        return new CheckpointException(reference, "is not a checkpoint: name it JOB, JOB/N or by its directory under " + WHERE);
    }

    private Target underRoot(String reference) throws CheckpointException {
        CheckpointException outside = new CheckpointException(quoted(reference), "is not a checkpoint: checkpoints are under " + WHERE);
        Path real;
        Path base;
        try {
            Path p = Path.of(reference);
            try {
                real = p.toRealPath();
            } catch (NoSuchFileException e) {
                real = p.normalize(); // names no file: it may still name a checkpoint that is not there
            }
            base = Files.exists(root, NOFOLLOW_LINKS) ? root.toRealPath() : root;
        } catch (IOException | InvalidPathException e) {
            throw outside;
        }
        if (!real.startsWith(base) || real.equals(base)) throw outside;
        Path rel = base.relativize(real);
        String job = rel.getName(0).toString();
        if (rel.getNameCount() > 2 || !PeerRequest.isJobId(job)) throw outside;
        String number = rel.getNameCount() == 2 ? rel.getName(1).toString() : null;
        if (number != null && !NUMBER.matcher(number).matches()) throw outside;
        return Target.of(job, number);
    }

    /** The highest-numbered checkpoint of {@code job} that has a manifest (whether valid is for {@link #check} to say). */
    private int newestSealed(String job) throws IOException {
        List<Integer> numbers = numbers(job);
        for (int i = numbers.size() - 1; i >= 0; i--) {
            if (Files.exists(dirOf(job, numbers.get(i)).resolve(MANIFEST), NOFOLLOW_LINKS)) return numbers.get(i);
        }
        throw new CheckpointException("no checkpoint of job " + job, "at home " + home);
    }

    /**
     * Checkpoint {@code number} of {@code job} read, checked for {@code callerUid}, and every file
     * summed against its manifest. Mid-fold ({@link #fold}), as the parent of another
     * ({@code ancestor}), a base being folded is read from its manifest moved aside, its pages
     * files checked by size; a child being folded may have each file as either manifest says,
     * and all of one's files. Returns the manifest its files are: the folded one once they all
     * are (a full checkpoint), else its own.
     */
    private CheckpointManifest check(String job, int number, int callerUid, boolean ancestor) throws IOException {
        Path dir = dirOf(job, number);
        boolean folding = ancestor && !Files.exists(dir.resolve(MANIFEST), NOFOLLOW_LINKS) && Files.exists(dir.resolve(FOLDED), NOFOLLOW_LINKS);
        CheckpointManifest m = folding ? readManifest(job, number, FOLDED) : readSealed(job, number);
        String subject = m.name();
        if (callerUid != 0 && m.spec().uid() != callerUid) {
            throw new CheckpointException(subject, "belongs to user " + m.spec().uid() + ", not to you (uid " + callerUid + ")");
        }
        CheckpointManifest f = folding ? null : pendingFold(job, number);
        Map<String, BasicFileAttributes> entries = entries(dir);
        for (Map.Entry<String, BasicFileAttributes> e : entries.entrySet()) {
            String file = e.getKey();
            BasicFileAttributes a = e.getValue();
            if (file.equals(MANIFEST) || file.equals(FOLDED) || file.equals(FOLD_MANIFEST) || file.endsWith(PART)) continue; // a fold's, not CRIU's
            if (file.equals(PARENT_LINK) && m.parent() != 0) {
                if (!a.isSymbolicLink() || !Files.readSymbolicLink(dir.resolve(file)).toString().equals("../" + m.parent())) {
                    throw altered(subject, "its parent link does not lead to ../" + m.parent());
                }
            } else if (!m.files().containsKey(file) && (f == null || !f.files().containsKey(file))) {
                throw altered(subject, quoted(file) + " is not in its manifest");
            } else if (!a.isRegularFile()) {
                throw altered(subject, file + " is " + kind(a));
            }
        }
        CheckpointManifest whole = f != null && f.files().keySet().stream().allMatch(entries::containsKey) ? f : m;
        for (String file : whole.files().keySet()) if (!entries.containsKey(file)) throw damaged(subject, file + " is missing");
        boolean asFolded = whole == f;
        for (String file : entries.keySet()) {
            FileSum mine = m.files().get(file);
            FileSum folded = f == null ? null : f.files().get(file);
            if (mine == null && folded == null) continue; // the manifests and the parent link
            if (folding && ImageFold.isPagesFile(file)) { // being written into: its sum is in flux, its size is not
                sizeMatches(subject, file, entries.get(file).size(), mine);
                continue;
            }
            FileSum actual = sum(dir.resolve(file), false);
            boolean matches = actual.equals(mine) || actual.equals(folded);
            if (!actual.equals(folded)) asFolded = false;
            if (!matches) {
                FileSum expected = mine != null ? mine : folded;
                sizeMatches(subject, file, actual.size(), expected);
                throw altered(subject, file + " does not match its checksum");
            }
        }
        if (asFolded && !entries.containsKey(PARENT_LINK)) return f;
        if (m.parent() != 0 && !entries.containsKey(PARENT_LINK)) throw damaged(subject, "its parent link is missing");
        return m;
    }

    private static void sizeMatches(String subject, String file, long size, FileSum expected) throws CheckpointException {
        if (size != expected.size()) throw damaged(subject, file + " has " + size + " bytes, its manifest says " + expected.size());
    }

    /** The manifest of checkpoint {@code number} of {@code job}, its fields and MAC checked; an I/O failure is an IOException of its own. */
    private CheckpointManifest readSealed(String job, int number) throws IOException {
        return readManifest(job, number, MANIFEST);
    }

    /** As {@link #readSealed}, or, for a full checkpoint being folded into another, its manifest moved aside. */
    private CheckpointManifest readAncestor(String job, int number) throws IOException {
        Path dir = dirOf(job, number);
        boolean folding = !Files.exists(dir.resolve(MANIFEST), NOFOLLOW_LINKS) && Files.exists(dir.resolve(FOLDED), NOFOLLOW_LINKS);
        return readManifest(job, number, folding ? FOLDED : MANIFEST);
    }

    private CheckpointManifest readManifest(String job, int number, String name) throws IOException {
        String subject = CheckpointManifest.nameOf(job, number);
        Path dir = dirOf(job, number);
        if (!rootExists() || !Files.isDirectory(root.resolve(job), NOFOLLOW_LINKS) || !Files.exists(dir, NOFOLLOW_LINKS)) throw missing(job, number);
        if (!Files.isDirectory(dir, NOFOLLOW_LINKS)) throw altered(subject, "it is not a directory");
        Path file = dir.resolve(name);
        byte[] json;
        try {
            if (!Files.readAttributes(file, BasicFileAttributes.class, NOFOLLOW_LINKS).isRegularFile()) {
                throw altered(subject, "its manifest is not a file");
            }
            try (InputStream in = Files.newInputStream(file, NOFOLLOW_LINKS)) {
                json = in.readNBytes(CheckpointManifest.MAX_BYTES + 1);
            }
        } catch (NoSuchFileException e) {
            if (name.equals(MANIFEST) && Files.exists(dir.resolve(FOLDED), NOFOLLOW_LINKS)) {
                throw new CheckpointException(subject, "is being folded into the next checkpoint, which holds its pages now: restore that one");
            }
            throw new CheckpointException(subject, "is incomplete: it was being taken when its node stopped (no manifest)");
        }
        CheckpointManifest m = CheckpointManifest.parse(json, subject);
        if (!m.signedWith(key)) throw new CheckpointException(subject, "was not sealed by this pool");
        if (!m.job().equals(job) || m.number() != number || !m.spec().home().equals(home)) {
            throw new CheckpointException(subject, "was moved: its manifest is for " + m.name() + " of home " + m.spec().home());
        }
        return m;
    }

    /**
     * Whether the root exists; if it does, it must be a directory of the agent's user. The home's
     * shared directory is world-writable: a root a user made first would hand them every image.
     */
    private boolean rootExists() throws CheckpointException {
        Map<String, Object> a;
        try {
            a = Files.readAttributes(root, "unix:uid,isDirectory", NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            throw new CheckpointException("checkpoints at home " + home, "cannot be read: " + oneLine(e));
        }
        long owner = ((Number) a.get("uid")).longValue();
        String wrong = !Boolean.TRUE.equals(a.get("isDirectory")) ? "is not a directory (a link or a file)"
                : owner != agentUid ? "belongs to uid " + owner + ", not to the agent" : null;
        if (wrong != null) throw new CheckpointException("checkpoints at home " + home, "are off: " + root + " " + wrong + "; root must remove it");
        return true;
    }

    /** The numbered entries of {@code job}'s directory, ascending (none if it has no directory). */
    private List<Integer> numbers(String job) throws IOException {
        Path jobDir = root.resolve(job);
        TreeSet<Integer> numbers = new TreeSet<>();
        if (!rootExists() || !Files.isDirectory(jobDir, NOFOLLOW_LINKS)) return List.of();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(jobDir)) {
            for (Path p : s) {
                String name = p.getFileName().toString();
                if (NUMBER.matcher(name).matches()) numbers.add(Integer.parseInt(name));
            }
        }
        return List.copyOf(numbers);
    }

    /** Every entry of {@code dir} by name, with its own attributes (a link's, not its target's). */
    private static Map<String, BasicFileAttributes> entries(Path dir) throws IOException {
        Map<String, BasicFileAttributes> entries = new TreeMap<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) entries.put(p.getFileName().toString(), Files.readAttributes(p, BasicFileAttributes.class, NOFOLLOW_LINKS));
        }
        return entries;
    }

    /** A file's size and SHA-256, read through; with {@code sync}, also on disk once this returns (sealing). */
    private static FileSum sum(byte[] bytes) {
        return new FileSum(bytes.length, HEX.formatHex(sha256().digest(bytes)));
    }

    private static FileSum sum(Path file, boolean sync) throws IOException {
        MessageDigest sha = sha256();
        long size = 0;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, NOFOLLOW_LINKS)) {
            ByteBuffer buf = ByteBuffer.allocate(1 << 20);
            for (int r; (r = ch.read(buf)) >= 0; buf.clear()) {
                buf.flip();
                sha.update(buf);
                size += r;
            }
            if (sync) ch.force(true);
        }
        return new FileSum(size, HEX.formatHex(sha.digest()));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    private static String kind(BasicFileAttributes a) {
        if (a.isDirectory()) return "a directory";
        if (a.isSymbolicLink()) return "a symbolic link";
        if (a.isRegularFile()) return "a file with a name CRIU does not write";
        return "not a plain file";
    }

    private static void requireJobId(String job) throws CheckpointException {
        if (!PeerRequest.isJobId(job)) throw new CheckpointException(quoted(String.valueOf(job)), "is not a job id");
    }

    private CheckpointException missing(String job, int number) {
        return new CheckpointException("no " + CheckpointManifest.nameOf(job, number), "at home " + home);
    }

    private static CheckpointException damaged(String subject, String what) {
        return new CheckpointException(subject, "is damaged: " + what);
    }

    private static CheckpointException altered(String subject, String what) {
        return new CheckpointException(subject, "was altered after it was taken: " + what);
    }

    /** A name from a user or a directory, fit for one line: control characters shown as '?', cut short. */
    private static String quoted(String s) {
        String clean = s.codePoints().map(c -> Character.isISOControl(c) ? '?' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
        return clean.length() > MAX_QUOTED_CHARS ? clean.substring(0, MAX_QUOTED_CHARS) + "..." : clean;
    }

    private static String oneLine(IOException e) {
        return quoted(String.valueOf(e.getMessage()));
    }
}
