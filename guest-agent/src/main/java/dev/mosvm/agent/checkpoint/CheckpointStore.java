package dev.mosvm.agent.checkpoint;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import dev.mosvm.agent.checkpoint.CheckpointManifest.FileSum;
import dev.mosvm.agent.layout.GuestLayout;
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
    /** The manifest while it is written: renamed to {@link #MANIFEST} once on disk. */
    private static final String MANIFEST_PART = "manifest.json.part";
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
        if (!rootExists() || !Files.isDirectory(d, NOFOLLOW_LINKS)) throw missing(job, unsigned.number());
        if (Files.exists(d.resolve(MANIFEST), NOFOLLOW_LINKS)) throw new CheckpointException(subject, "cannot be sealed: it is sealed already");
        Files.deleteIfExists(d.resolve(MANIFEST_PART)); // a seal that stopped before its rename

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
        writeManifest(d, sealed.toJson());
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

    private static void writeManifest(Path dir, byte[] json) throws IOException {
        Path part = dir.resolve(MANIFEST_PART);
        try (FileChannel ch = FileChannel.open(part, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), OWNER_ONLY_FILE)) {
            ByteBuffer b = ByteBuffer.wrap(json);
            while (b.hasRemaining()) ch.write(b);
            ch.force(true);
        }
        Files.move(part, dir.resolve(MANIFEST), StandardCopyOption.ATOMIC_MOVE);
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
        for (CheckpointManifest c : chain(m, this::readSealed)) total += c.bytes();
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
            CheckpointManifest top = check(job, number, callerUid);
            List<Path> chain = new ArrayList<>();
            for (CheckpointManifest c : chain(top, (j, n) -> check(j, n, callerUid))) chain.add(dirOf(job, c.number()));
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
        if (!Files.exists(dirOf(job, number).resolve(MANIFEST), NOFOLLOW_LINKS)) { // pruning removes the manifest first
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
        List<Retention.Sealed> sealed = list(job).stream().map(Retention.Sealed::of).toList();
        for (int n : Retention.toDelete(sealed, numbers(job), keep)) delete(dirOf(job, n));
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

    /** Checkpoint {@code number} of {@code job} read, checked for {@code callerUid}, and every file summed against its manifest. */
    private CheckpointManifest check(String job, int number, int callerUid) throws IOException {
        CheckpointManifest m = readSealed(job, number);
        String subject = m.name();
        if (callerUid != 0 && m.spec().uid() != callerUid) {
            throw new CheckpointException(subject, "belongs to user " + m.spec().uid() + ", not to you (uid " + callerUid + ")");
        }
        Path dir = dirOf(job, number);
        Map<String, BasicFileAttributes> entries = entries(dir);
        for (Map.Entry<String, BasicFileAttributes> e : entries.entrySet()) {
            String file = e.getKey();
            BasicFileAttributes a = e.getValue();
            if (file.equals(MANIFEST)) continue;
            if (file.equals(PARENT_LINK) && m.parent() != 0) {
                if (!a.isSymbolicLink() || !Files.readSymbolicLink(dir.resolve(file)).toString().equals("../" + m.parent())) {
                    throw altered(subject, "its parent link does not lead to ../" + m.parent());
                }
            } else if (!m.files().containsKey(file)) {
                throw altered(subject, quoted(file) + " is not in its manifest");
            } else if (!a.isRegularFile()) {
                throw altered(subject, file + " is " + kind(a));
            }
        }
        if (m.parent() != 0 && !entries.containsKey(PARENT_LINK)) throw damaged(subject, "its parent link is missing");
        for (Map.Entry<String, FileSum> f : m.files().entrySet()) {
            BasicFileAttributes a = entries.get(f.getKey());
            if (a == null) throw damaged(subject, f.getKey() + " is missing");
            sizeMatches(subject, f.getKey(), a.size(), f.getValue());
        }
        for (Map.Entry<String, FileSum> f : m.files().entrySet()) {
            FileSum actual = sum(dir.resolve(f.getKey()), false);
            sizeMatches(subject, f.getKey(), actual.size(), f.getValue()); // it changed while read
            if (!actual.sha256().equals(f.getValue().sha256())) throw altered(subject, f.getKey() + " does not match its checksum");
        }
        return m;
    }

    private static void sizeMatches(String subject, String file, long size, FileSum expected) throws CheckpointException {
        if (size != expected.size()) throw damaged(subject, file + " has " + size + " bytes, its manifest says " + expected.size());
    }

    /** The manifest of checkpoint {@code number} of {@code job}, its fields and MAC checked; an I/O failure is an IOException of its own. */
    private CheckpointManifest readSealed(String job, int number) throws IOException {
        String subject = CheckpointManifest.nameOf(job, number);
        Path dir = dirOf(job, number);
        if (!rootExists() || !Files.isDirectory(root.resolve(job), NOFOLLOW_LINKS) || !Files.exists(dir, NOFOLLOW_LINKS)) throw missing(job, number);
        if (!Files.isDirectory(dir, NOFOLLOW_LINKS)) throw altered(subject, "it is not a directory");
        Path file = dir.resolve(MANIFEST);
        byte[] json;
        try {
            if (!Files.readAttributes(file, BasicFileAttributes.class, NOFOLLOW_LINKS).isRegularFile()) {
                throw altered(subject, "its manifest is not a file");
            }
            try (InputStream in = Files.newInputStream(file, NOFOLLOW_LINKS)) {
                json = in.readNBytes(CheckpointManifest.MAX_BYTES + 1);
            }
        } catch (NoSuchFileException e) {
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
