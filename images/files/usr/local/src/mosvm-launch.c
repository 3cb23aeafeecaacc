/*
 * mosvm-launch [--job-dir JOBDIR] [--root ROOT] CGROUP INITDIR UID GID PROGRAM [ARGS...]: how the agent starts
 * a pool job so that CRIU can move it later (docs/migration.md). Run in the job's working
 * directory. In order:
 *   - every signal back at its default and none blocked (a daemon's ignored SIGINT would
 *     otherwise stay ignored in the job, and a shell cannot trap it again);
 *   - into the job's cgroup (CGROUP, or "-" for none), before anything else runs;
 *   - a PID namespace of its own, without a new mount namespace (the appliance's nfsd mount
 *     cannot be dumped); the child is its PID 1, leads a new session, moves to INITDIR (or
 *     stays, for "-") and becomes tini, which forwards signals, reaps, and exits with the
 *     program's status;
 *   - tini stays root and starts "mosvm-launch --as UID GID ROOT DIR PROGRAM...", which, with a
 *     ROOT other than "-", changes its root to ROOT (the job's home's whole tree, docs/ssi.md:
 *     /pool/.homes/HOME, at home a bind of its "/", elsewhere the home's "/" over NFS, so the
 *     job finds every path at home wherever it runs and CRIU restores its root by that path),
 *     takes the caller's user (UID, GID and that user's groups from ROOT's /etc/group: the
 *     home's), enters DIR (the job's working directory, a path inside ROOT), confines itself
 *     (no_new_privs and a seccomp filter, below, docs/sandbox.md) and execs PROGRAM.
 *     tini is not in ROOT: it stays on the node, where the agent signals and CRIU dumps it.
 *     The namespace's init must stay privileged: /proc
 *     is the appliance's, not the namespace's, so CRIU's parasite mounts a proc of the
 *     namespace from inside its init, and an unprivileged init fails every dump ("can't dump
 *     unprivileged task whose /proc doesn't belong to it");
 *   - the parasite makes that mount point ("proc.crtools") in the init's working directory, so
 *     the init must not stand in the job's: there two nodes dumping jobs of one shared
 *     directory at once clash (EEXIST), a directory root cannot write cannot hold it, and it
 *     shows in the user's listing. INITDIR is the job's own, local to
 *     the node; the agent makes it, and makes it again on a node the job moves to;
 *   - this process waits outside the namespace and ends as the child did, as unshare --fork.
 * With --job-dir it also keeps the job alive across a restart of the agent, whose pipes are the
 * job's standard streams: it holds each of them open a second time (/proc/self/fd/N, O_RDWR),
 * so with no agent reading the job's output fills the pipe and waits instead of dying of
 * SIGPIPE, and with no agent writing its input it waits instead of reading EOF. SIGUSR1 lets go
 * of the input (the agent sends it once the caller's input has ended), and the status it exits
 * with is written to JOBDIR/status first: a restarted agent adopts the job from JOBDIR's
 * record, and reads that status, as it is not this process's parent. Once the job has ended,
 * this process stays until its output pipes are read empty (at most OUTPUT_WAIT_SECONDS): the
 * output a job wrote while no agent ran is in them, and with this process gone no agent could
 * open them again to read it.
 * One static program instead of env, sh, unshare, setsid and setpriv, each a dynamically linked
 * start: under TCG that chain costs most of a second of CPU per job on a capped node
 * (docs/benchmarks.md has the figures).
 */
// link: -lseccomp
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { MAX_GROUPS = 1024 };

static const char *TINI = "/usr/bin/tini-static";
static const char *AS_USER = "--as";
static const char *JOB_DIR = "--job-dir";
static const char *ROOT_DIR = "--root";
/* How long an ended job's unread output keeps this process: an agent restarts in well under it, even under TCG. */
enum { OUTPUT_WAIT_SECONDS = 600 };

static void fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("mosvm-launch: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(127);
}

static const char *fdpath(int fd) {
    static char path[32];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    return path;
}

static long number(const char *s, const char *what) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *s == '\0' || *end != '\0' || v < 0) fail("%s must be a number, not '%s'", what, s);
    return v;
}

/* The second hold of the job's standard input; -1 once let go (or never taken). */
static volatile int stdin_hold = -1;

static void let_go_of_input(int sig) {
    (void) sig;
    int fd = stdin_hold;
    stdin_hold = -1;
    if (fd >= 0) close(fd);
}

/* The second holds of the job's standard output and error; -1 where not taken. */
static int output_holds[2] = {-1, -1};

/* Holds fds 0-2 open a second time (close-on-exec: the job holds only its own), then takes
 * SIGUSR1: the agent sends it only once it sees the signal caught, so the holds are in place. */
static void hold_streams(void) {
    for (int fd = 1; fd <= 2; fd++) {
        output_holds[fd - 1] = open(fdpath(fd), O_RDWR | O_CLOEXEC);
        if (output_holds[fd - 1] < 0) fail("cannot hold fd %d open: %s", fd, strerror(errno));
    }
    stdin_hold = open(fdpath(0), O_RDWR | O_CLOEXEC);
    if (stdin_hold < 0) fail("cannot hold fd 0 open: %s", strerror(errno));
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = let_go_of_input;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR1, &sa, NULL)) fail("cannot take SIGUSR1: %s", strerror(errno));
}

/* JOBDIR/status, written whole (a new file renamed into place) before this process exits with it. */
static void note_status(const char *jobdir, int status) {
    if (!jobdir) return;
    char tmp[PATH_MAX], path[PATH_MAX], text[16];
    snprintf(tmp, sizeof tmp, "%s/status.tmp", jobdir);
    snprintf(path, sizeof path, "%s/status", jobdir);
    int len = snprintf(text, sizeof text, "%d\n", status);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return; /* the agent that adopts the job then takes it as killed */
    int ok = write(fd, text, (size_t) len) == len;
    close(fd);
    if (ok) rename(tmp, path);
}

/* Bytes written to the held output pipes and not read yet (a stream that is no pipe counts none). */
static long unread_output(void) {
    long total = 0;
    for (int i = 0; i < 2; i++) {
        struct stat st;
        int n = 0;
        if (output_holds[i] < 0 || fstat(output_holds[i], &st) || !S_ISFIFO(st.st_mode)) continue;
        if (ioctl(output_holds[i], FIONREAD, &n) == 0) total += n;
    }
    return total;
}

/* Waits, once the job has ended, until an agent has read all it wrote (see the top). */
static void wait_until_output_read(void) {
    const struct timespec pause = {0, 50 * 1000 * 1000};
    for (long waited = 0; waited < OUTPUT_WAIT_SECONDS * 20L && unread_output() > 0; waited++) nanosleep(&pause, NULL);
}

/* A person's id in Debian's login range (login.defs UID_MIN..UID_MAX), or the "users" group:
 * the ids whose jobs may leave their home (guest-agent's sandbox/GuestUsers.java). */
static int person_id(unsigned long id) { return id >= 1000 && id <= 60000; }

/* The user's groups as /etc/group lists them, plus GID: what setpriv --init-groups gives,
 * read from the files directly (a static program cannot load NSS modules). A person's job,
 * which may run on other nodes, takes none of the system groups (disk, kmem, adm, ...): there
 * they would open that node's devices and files, and a job brings no node's rights along. */
static void take_user(uid_t uid, gid_t gid) {
    gid_t groups[MAX_GROUPS];
    size_t n = 0;
    groups[n++] = gid;
    FILE *pw = fopen("/etc/passwd", "r");
    char name[256] = "";
    if (pw) {
        for (struct passwd *p; (p = fgetpwent(pw));) {
            if (p->pw_uid == uid) {
                snprintf(name, sizeof name, "%s", p->pw_name);
                break;
            }
        }
        fclose(pw);
    }
    FILE *gr = name[0] ? fopen("/etc/group", "r") : NULL;
    if (gr) {
        for (struct group *g; (g = fgetgrent(gr)) && n < MAX_GROUPS;) {
            if (g->gr_gid == gid) continue;
            if (person_id(uid) && !person_id(g->gr_gid) && g->gr_gid != 100) continue;
            for (char **m = g->gr_mem; *m; m++) {
                if (!strcmp(*m, name)) {
                    groups[n++] = g->gr_gid;
                    break;
                }
            }
        }
        fclose(gr);
    }
    if (setgroups(n, groups) || setgid(gid) || setuid(uid)) fail("cannot become uid %ld gid %ld: %s", (long) uid, (long) gid, strerror(errno));
}

/*
 * What no job may do, on any node (EPERM, as for an unprivileged caller; root's jobs are held
 * to it too, though the node's /proc and /dev in the tree give root other ways out): change
 * its view of the filesystem (a root job could leave its home's tree), make namespaces of its
 * own (a user namespace is root's powers over new mounts for anyone), load or swap a kernel,
 * reach kernel facilities a job has no use for and an exploit often starts from (BPF, perf,
 * keyrings, file handles that bypass the tree), set the node's clock or name. Everything else is
 * allowed: the list is short so that any program that runs on Linux runs as a job. tini, which
 * CRIU's parasite has mount a proc in, is not confined; the job's own processes are, and CRIU
 * dumps the filter with them and restores it on the node the job moves to.
 */
static const int DENIED[] = {
    SCMP_SYS(mount), SCMP_SYS(umount2), SCMP_SYS(pivot_root), SCMP_SYS(chroot),
    SCMP_SYS(open_tree), SCMP_SYS(move_mount), SCMP_SYS(fsopen), SCMP_SYS(fsconfig), SCMP_SYS(fsmount),
    SCMP_SYS(fspick), SCMP_SYS(mount_setattr),
    SCMP_SYS(umount), SCMP_SYS(setns),
    SCMP_SYS(init_module), SCMP_SYS(finit_module), SCMP_SYS(delete_module), SCMP_SYS(kexec_load),
    SCMP_SYS(kexec_file_load), SCMP_SYS(reboot), SCMP_SYS(swapon), SCMP_SYS(swapoff), SCMP_SYS(acct),
    SCMP_SYS(bpf), SCMP_SYS(perf_event_open), SCMP_SYS(keyctl), SCMP_SYS(add_key), SCMP_SYS(request_key),
    SCMP_SYS(open_by_handle_at), SCMP_SYS(iopl), SCMP_SYS(ioperm),
    SCMP_SYS(settimeofday), SCMP_SYS(clock_settime), SCMP_SYS(clock_settime64), SCMP_SYS(stime),
    SCMP_SYS(clock_adjtime), SCMP_SYS(clock_adjtime64), SCMP_SYS(sethostname), SCMP_SYS(setdomainname),
};

/* The namespace flags: unshare or clone with any of them is refused (unshare(CLONE_FILES) and the like stay allowed) */
static const unsigned long CLONE_NAMESPACES[] = {
    CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP,
};
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static void deny(scmp_filter_ctx ctx, uint32_t action, int syscall, unsigned count, const struct scmp_arg_cmp *cmp) {
    int rc = seccomp_rule_add_array(ctx, action, syscall, count, cmp);
    if (rc < 0) {
        char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, syscall);
        fail("cannot confine the job (rule for %s): %s", name ? name : "a system call", strerror(-rc));
    }
}

/* no_new_privs (no setuid program raises a job's rights) and the filter, for this process and all it starts */
static void confine(void) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) fail("cannot set no_new_privs: %s", strerror(errno));
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx) fail("cannot confine the job: no seccomp filter");
    /* the same rules for 32-bit and x32 programs, whose system calls have numbers of their own */
    static const uint32_t OTHER_ABIS[] = {SCMP_ARCH_X86, SCMP_ARCH_X32};
    for (size_t i = 0; i < sizeof OTHER_ABIS / sizeof *OTHER_ABIS; i++) {
        int rc = seccomp_arch_add(ctx, OTHER_ABIS[i]);
        if (rc < 0 && rc != -EEXIST) fail("cannot confine the job's other ABIs: %s", strerror(-rc));
    }
    for (size_t i = 0; i < sizeof DENIED / sizeof *DENIED; i++) deny(ctx, SCMP_ACT_ERRNO(EPERM), DENIED[i], 0, NULL);
    for (size_t i = 0; i < sizeof CLONE_NAMESPACES / sizeof *CLONE_NAMESPACES; i++) {
        struct scmp_arg_cmp flag = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NAMESPACES[i], CLONE_NAMESPACES[i]);
        deny(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1, &flag);
        deny(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unshare), 1, &flag);
    }
    struct scmp_arg_cmp time_ns = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWTIME, CLONE_NEWTIME); /* clone's CSIGNAL bits: unshare's alone */
    deny(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unshare), 1, &time_ns);
    /* clone3's flags are in memory a filter cannot read: "not here" makes glibc fall back to clone */
    deny(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0, NULL);
    int rc = seccomp_load(ctx);
    if (rc < 0) fail("cannot confine the job: %s", strerror(-rc));
    seccomp_release(ctx);
}

/* mosvm-launch --as UID GID ROOT DIR PROGRAM [ARGS...]: run by tini inside the namespace */
static int run_as(char **argv) {
    if (strcmp(argv[4], "-") && (chroot(argv[4]) || chdir("/"))) fail("cannot enter the home's tree %s: %s", argv[4], strerror(errno));
    take_user((uid_t) number(argv[2], "UID"), (gid_t) number(argv[3], "GID"));
    if (chdir(argv[5])) fail("cannot enter %s: %s", argv[5], strerror(errno)); /* as the user, as a login would */
    confine();
    execvp(argv[6], argv + 6);
    int err = errno;
    fprintf(stderr, "mosvm-launch: cannot run %s: %s\n", argv[6], strerror(err));
    return err == ENOENT ? 127 : 126; /* as a shell says it */
}

/* DIR, the launcher's working directory, as a path inside ROOT ("-": DIR itself). */
static const char *inside(const char *root, const char *dir) {
    if (!strcmp(root, "-")) return dir;
    size_t n = strlen(root);
    while (n > 1 && root[n - 1] == '/') n--;
    if (strncmp(dir, root, n) || (dir[n] != '/' && dir[n] != '\0')) fail("the working directory %s is not in the home's tree %s", dir, root);
    return dir[n] ? dir + n : "/";
}

int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], AS_USER)) {
        if (argc < 7) fail("usage: mosvm-launch --as UID GID ROOT DIR PROGRAM [ARGS...]");
        return run_as(argv);
    }
    const char *jobdir = NULL;
    const char *root = "-";
    if (argc > 2 && !strcmp(argv[1], JOB_DIR)) {
        jobdir = argv[2];
        argv += 2;
        argc -= 2;
    }
    if (argc > 2 && !strcmp(argv[1], ROOT_DIR)) {
        root = argv[2];
        if (root[0] != '/') fail("the home's tree must be an absolute path, not '%s'", root);
        argv += 2;
        argc -= 2;
    }
    if (argc < 6) fail("usage: mosvm-launch [--job-dir JOBDIR] [--root ROOT] CGROUP INITDIR UID GID PROGRAM [ARGS...]");
    const char *cgroup = argv[1];
    const char *initdir = argv[2];
    number(argv[3], "UID"); /* checked here, used by --as: a bad one fails before the job exists */
    number(argv[4], "GID");
    static char workdir[PATH_MAX];
    if (!getcwd(workdir, sizeof workdir)) fail("cannot read the working directory: %s", strerror(errno));
    const char *jobcwd = inside(root, workdir);

    /* the agent's OOM protection (OOMScoreAdjust) is not the job's: a job is killed before it.
     * A kernel that refuses leaves the job as protected as its agent, which is no reason to refuse the job. */
    int oom = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if (oom >= 0) {
        if (write(oom, "0", 1) != 1) { /* nothing more to do */ }
        close(oom);
    }

    sigset_t none, parent_blocks;
    sigemptyset(&none);
    for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL); /* SIGKILL, SIGSTOP and the real-time ones libc keeps refuse: fine */
    sigprocmask(SIG_SETMASK, &none, NULL);

    if (strcmp(cgroup, "-")) {
        char path[4096], pid[32];
        snprintf(path, sizeof path, "%s/cgroup.procs", cgroup);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        int len = snprintf(pid, sizeof pid, "%ld", (long) getpid());
        if (fd < 0 || write(fd, pid, (size_t) len) != len) fail("cannot join the cgroup %s: %s", cgroup, strerror(errno));
        close(fd);
    }
    if (jobdir) hold_streams();
    if (unshare(CLONE_NEWPID)) fail("cannot make a PID namespace: %s", strerror(errno));

    /* as unshare --fork: the waiting parent is not ended by an interrupt meant for the job */
    sigemptyset(&parent_blocks);
    sigaddset(&parent_blocks, SIGINT);
    sigaddset(&parent_blocks, SIGTERM);
    sigprocmask(SIG_BLOCK, &parent_blocks, NULL);
    pid_t child = fork();
    if (child < 0) fail("cannot fork: %s", strerror(errno));
    if (child == 0) {
        sigprocmask(SIG_SETMASK, &none, NULL);
        if (setsid() < 0) fail("cannot start a session: %s", strerror(errno));
        if (strcmp(initdir, "-") && chdir(initdir)) fail("cannot enter %s: %s", initdir, strerror(errno));
        /* tini -- SELF --as UID GID ROOT DIR PROGRAM ARGS... NULL */
        static char self[PATH_MAX]; /* this launcher, wherever it is installed (tests build their own) */
        ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
        if (len <= 0) fail("cannot find this launcher: %s", strerror(errno));
        self[len] = '\0';
        char **args = calloc((size_t) argc + 5, sizeof *args);
        if (!args) fail("out of memory");
        int n = 0;
        args[n++] = (char *) TINI;
        args[n++] = "--";
        args[n++] = self;
        args[n++] = (char *) AS_USER;
        args[n++] = argv[3];
        args[n++] = argv[4];
        args[n++] = (char *) root;
        args[n++] = (char *) jobcwd;
        memcpy(args + n, argv + 5, (size_t) (argc - 5) * sizeof *args);
        execv(TINI, args);
        fail("cannot run %s: %s", TINI, strerror(errno));
    }
    int status;
    while (waitpid(child, &status, 0) < 0) {
        if (errno != EINTR) fail("cannot wait for the job: %s", strerror(errno));
    }
    if (WIFEXITED(status)) {
        note_status(jobdir, WEXITSTATUS(status));
        if (jobdir) wait_until_output_read();
        return WEXITSTATUS(status);
    }
    int sig = WTERMSIG(status);
    note_status(jobdir, 128 + sig);
    if (jobdir) wait_until_output_read();
    signal(sig, SIG_DFL);
    sigprocmask(SIG_SETMASK, &none, NULL);
    kill(getpid(), sig);
    return 128 + sig;
}
