/*
 * openas UID GID TREE LIST -- PROGRAM [ARGS...]: the open-as-the-job's-user helper of
 * docs/design/userns-criu.md §6, as a spike. Run as root in place of `criu restore ...`
 * (PROGRAM ARGS). LIST has a line "FLAGS POS PATH" per regular file of the images (FLAGS in hex,
 * POS -1 for none; files-list.pl prints it from files.img). Each PATH in TREE (the job's root,
 * a home's tree), but not in the node's own proc, dev, sys or run there, is opened as UID (its
 * groups as this node's group file gives them) with openat2 at TREE, RESOLVE_IN_ROOT and
 * RESOLVE_NO_MAGICLINKS (absolute links resolve in the tree, /proc/PID/root is not followed),
 * set to POS, and handed on: PROGRAM gets "--inherit-fd fd[N]:PATH-WITHOUT-ITS-SLASH" per file,
 * which CRIU takes instead of opening the file itself as root. One fd per path: a second entry
 * of the same path with other flags or another offset is refused (it would share the offset).
 * Build: cc -O2 -o openas openas.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/openat2.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_FILES 4096

static void fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("openas: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(126);
}

static const char *LOCAL[] = {"proc", "dev", "sys", "run"};

int main(int argc, char **argv) {
    int dash = 0;
    for (int i = 1; i < argc; i++) if (strcmp(argv[i], "--") == 0) { dash = i; break; }
    if (dash != 5 || dash + 1 >= argc) fail("usage: openas UID GID TREE LIST -- PROGRAM [ARGS...]");
    uid_t uid = (uid_t) strtoul(argv[1], NULL, 10);
    gid_t gid = (gid_t) strtoul(argv[2], NULL, 10);
    const char *tree = argv[3];
    size_t tl = strlen(tree);
    if (uid == 0 || tl < 2 || tree[0] != '/' || tree[tl - 1] == '/') fail("a user other than root and a tree path without a trailing /");
    int treefd = open(tree, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (treefd < 0) fail("%s: %s", tree, strerror(errno));
    FILE *list = fopen(argv[4], "re");
    if (!list) fail("%s: %s", argv[4], strerror(errno));

    struct passwd *pw = getpwuid(uid);
    gid_t groups[256];
    int ngroups = 256;
    if (!pw || getgrouplist(pw->pw_name, gid, groups, &ngroups) < 0) fail("no user %u here, or too many groups", uid);
    if (setgroups(ngroups, groups)) fail("setgroups: %s", strerror(errno));
    setfsgid(gid);
    setfsuid(uid);
    if ((uid_t) setfsuid(-1) != uid || (gid_t) setfsgid(-1) != gid) fail("cannot take uid %u gid %u for opening", uid, gid);

    static char *paths[MAX_FILES];
    static unsigned flagsOf[MAX_FILES];
    static long long posOf[MAX_FILES];
    int n = 0;
    char **out = calloc(argc + 2 * MAX_FILES + 1, sizeof(char *));
    int o = 0;
    for (int i = dash + 1; i < argc; i++) out[o++] = argv[i]; /* PROGRAM ARGS, then the inherited files */
    unsigned flags;
    long long pos;
    char path[4096];
    while (fscanf(list, "%x %lld %4095[^\n]\n", &flags, &pos, path) == 3) {
        if (strncmp(path, tree, tl) != 0 || (path[tl] != '/' && path[tl] != '\0')) continue; /* the node's own: criu opens it */
        const char *rel = path[tl] == '\0' ? "." : path + tl + 1;
        int local = 0;
        for (size_t i = 0; i < sizeof LOCAL / sizeof *LOCAL; i++) {
            size_t l = strlen(LOCAL[i]);
            if (strncmp(rel, LOCAL[i], l) == 0 && (rel[l] == '/' || rel[l] == '\0')) local = 1;
        }
        if (local) continue;
        int seen = -1;
        for (int i = 0; i < n; i++) if (strcmp(paths[i], path) == 0) seen = i;
        if (seen >= 0) {
            if (flagsOf[seen] != flags || posOf[seen] != pos) fail("%s is open twice with other flags or offsets: one --inherit-fd cannot give both", path);
            continue;
        }
        if (n == MAX_FILES) fail("more than %d files", MAX_FILES);
        struct open_how how = {.flags = flags & ~(unsigned) (O_CREAT | O_TRUNC | O_EXCL | O_CLOEXEC), .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
        int fd = (int) syscall(SYS_openat2, treefd, rel, &how, sizeof how);
        if (fd < 0) fail("cannot open %s as uid %u: %s", path, uid, strerror(errno));
        if (pos >= 0 && lseek(fd, (off_t) pos, SEEK_SET) < 0 && errno != ESPIPE) fail("%s: cannot seek to %lld: %s", path, pos, strerror(errno));
        paths[n] = strdup(path);
        flagsOf[n] = flags;
        posOf[n] = pos;
        n++;
        out[o++] = "--inherit-fd";
        if (asprintf(&out[o++], "fd[%d]:%s", fd, path + 1) < 0) fail("out of memory");
    }
    fclose(list);
    setfsuid(0);
    setfsgid(0);
    gid_t root = 0;
    if (setgroups(1, &root)) fail("setgroups back: %s", strerror(errno));
    out[o] = NULL;
    fprintf(stderr, "openas: %d files opened as uid %u for %s\n", n, uid, out[0]);
    execvp(out[0], out);
    fail("%s: %s", out[0], strerror(errno));
}
