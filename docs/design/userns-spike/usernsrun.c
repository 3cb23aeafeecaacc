/* Spike: run CMD as UID:GID in a user, mount and pid namespace of its own, its root a skeleton
 * (ROOT, a tmpfs made by the caller) with TREE's directories bound in, its own /proc.
 * usage: usernsrun ROOT TREE UID GID DIR CMD...   (as root; prints the job's host pid on stderr) */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <grp.h>

#define B 100000
static const char *DIRS[] = {"etc", "home", "media", "mnt", "opt", "root", "srv", "tmp", "usr", "var", NULL};
static const char *DEVS[] = {"null", "zero", "full", "random", "urandom", "tty", NULL};
static int sync_pipe[2];
static char **g_argv;

static void die(const char *what) { fprintf(stderr, "usernsrun: %s: %s\n", what, strerror(errno)); _exit(126); }

static int child(void *arg) {
    (void) arg;
    char c;
    close(sync_pipe[1]);
    if (read(sync_pipe[0], &c, 1) < 0) die("sync");
    close(sync_pipe[0]);
    const char *root = g_argv[1], *tree = g_argv[2], *dir = g_argv[5];
    uid_t uid = atoi(g_argv[3]); gid_t gid = atoi(g_argv[4]);
    if (setresgid(0, 0, 0) || setresuid(0, 0, 0)) die("become the namespace's root");
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) die("make / private");
    /* the root a mount of this namespace's own (pivot_root wants a mount point it may move) */
    if (mount(g_argv[1], g_argv[1], NULL, MS_BIND | MS_REC, NULL)) die("bind the root onto itself");
    char src[4096], dst[4096];
    for (int i = 0; DIRS[i]; i++) {
        snprintf(src, sizeof src, "%s/%s", tree, DIRS[i]);
        snprintf(dst, sizeof dst, "%s/%s", root, DIRS[i]);
        /* recursive where a directory has mounts below it: a userns may not bind a mount without its locked children */
        if (mount(src, dst, NULL, MS_BIND, NULL) && (errno != EINVAL || mount(src, dst, NULL, MS_BIND | MS_REC, NULL))) die(dst);
    }
    for (int i = 0; DEVS[i]; i++) {
        snprintf(src, sizeof src, "/dev/%s", DEVS[i]);
        snprintf(dst, sizeof dst, "%s/dev/%s", root, DEVS[i]);
        if (mount(src, dst, NULL, MS_BIND, NULL)) die(dst);
    }
    if (chdir(root)) die("chdir root");
    if (syscall(SYS_pivot_root, ".", ".old")) die("pivot_root");
    if (chdir("/")) die("chdir /");
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)) die("mount proc");
    if (umount2("/.old", MNT_DETACH)) die("detach the old root");
    if (setgroups(0, NULL) || setresgid(gid, gid, gid) || setresuid(uid, uid, uid)) die("become the job's user");
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) die("no_new_privs");
    if (setsid() < 0) die("setsid"); /* CRIU dumps no session whose leader is outside the job's pid namespace */
    if (chdir(dir)) die(dir);
    /* stdio from inside the job's own mounts: CRIU finds every open file in the dumped namespace */
    int null = open("/dev/null", O_RDWR);
    if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0) die("/dev/null");
    if (null > 2) close(null);
    execvp(g_argv[6], g_argv + 6);
    die(g_argv[6]);
    return 126;
}

static void write_map(pid_t pid, const char *file, unsigned id) {
    char path[64], map[128];
    snprintf(path, sizeof path, "/proc/%d/%s", pid, file);
    int n = snprintf(map, sizeof map, "0 %d 1\n%u %u 1\n", B, id, id);
    int fd = open(path, O_WRONLY);
    if (fd < 0 || write(fd, map, n) != n) die(path);
    close(fd);
}

int main(int argc, char **argv) {
    if (argc < 7) { fprintf(stderr, "usage: usernsrun ROOT TREE UID GID DIR CMD...\n"); return 2; }
    g_argv = argv;
    if (pipe(sync_pipe)) die("pipe");
    static char stack[1 << 16];
    pid_t pid = clone(child, stack + sizeof stack, CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | SIGCHLD, NULL);
    if (pid < 0) die("clone");
    close(sync_pipe[0]);
    write_map(pid, "uid_map", atoi(argv[3]));
    write_map(pid, "gid_map", atoi(argv[4]));
    printf("%d\n", pid);
    fflush(stdout);
    close(sync_pipe[1]);
    int st;
    if (waitpid(pid, &st, 0) < 0) die("wait");
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
