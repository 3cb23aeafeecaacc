/*
 * mosrun [-h | -L | -r NODE [-l]] [-A MINUTES] [-N COUNT] PROGRAM [ARGS...]: run PROGRAM as a
 * pool job through this appliance's agent; with -R CHECKPOINT instead of PROGRAM, restart a job
 * from one of its checkpoints. Its output reaches this terminal as it is produced, its exit
 * status is ours, and Ctrl-C, SIGTERM, SIGHUP, SIGUSR1/2 reach it wherever it runs. Our own
 * statuses (docs/usage.md): 125 the job was lost with the node it ran on, 126 it could not be
 * run (or the agent went away and no successor took it back), 2 usage (no program, a bad -A, -N or -R); a wait we stop
 * ourselves (below) ends as 128 + the signal.
 *
 * In C, compiled statically when the image is built (appliance-builder's CompileTools step),
 * because start-up is the cost that matters: under emulation on a node capped at 40 % a JVM
 * takes seconds, and even a perl client took about 0.5 s of that node's CPU per start, so a
 * burst of twelve `mosrun`s kept the node busy for many seconds before the last job started.
 *
 * The protocol is the agent's (dev.mosvm.agent.jobs.JobRequest, then dev.mosvm.agent.wire.FrameCodec
 * with the codes of wire.MessageType): one JSON line, then frames of kind:u8 length:u32
 * (big-endian) payload, both ways.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

enum { F_STDOUT = 1, F_STDERR = 2, F_EXIT = 3, F_ERROR = 4, F_STARTED = 5, F_STDIN = 6, F_STDIN_EOF = 7, F_SIGNAL = 8,
       F_LOST = 18, F_POSITION = 35 };

/* 126: as a shell reports a command it could not run. 125: the job was lost (its node is gone
 * and it had no checkpoint), so a script can tell that from the job's own failures and from
 * ours; the agent's LOST frame says which node. */
enum { CANNOT_RUN = 126, LOST = 125, USAGE = 2 };

/* The bounds the agent checks too (dev.mosvm.agent.jobs.JobRequest): a week between checkpoints at most. */
enum { MAX_EVERY_MINUTES = 10080, MAX_KEEP = 100 };

extern char **environ;
static int sock = -1;

/* noreturn: the compiler knows a frame's case that ends mosrun does not fall through to the next */
__attribute__((noreturn, format(printf, 2, 3))) static void die(int status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("mosrun: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(status);
}

#define fail(...) die(CANNOT_RUN, __VA_ARGS__)

__attribute__((noreturn)) static void usage(int status) {
    fputs("usage: mosrun [-h | -L | -r NODE [-l]] [-A MINUTES] [-N COUNT] PROGRAM [ARGS...]\n"
          "       mosrun [-h | -L | -r NODE [-l]] [-A MINUTES] [-N COUNT] -R CHECKPOINT\n"
          "  (no option)  start on the pool's best node; the balancer may move it later\n"
          "  -h           start on this (home) node; the balancer may move it later\n"
          "  -L           stay on this (home) node: never migrated\n"
          "  -r NODE      run on NODE, and stay there unless -l is also given\n"
          "  -l           with -r: the balancer may move it on later\n"
          "  -A MINUTES   checkpoint the job every MINUTES (1 to 10080) while it runs\n"
          "  -N COUNT     keep its last COUNT checkpoints (1 to 100, default 3), periodic ones\n"
          "               and those taken with `migrate JOB checkpoint` alike\n"
          "  -R CHECKPOINT  restart a job from a checkpoint instead of running PROGRAM: a job id\n"
          "               (its latest checkpoint), JOB/N, or the checkpoint's path; -h, -L and\n"
          "               -r NODE say where it restarts\n", stderr);
    exit(status);
}

/* A whole number from lo to hi, in plain decimal; anything else ends mosrun as a usage error naming the option. */
static int bounded(const char *option, const char *what, const char *s, int lo, int hi) {
    long v = 0;
    const char *p = s;
    for (; *p >= '0' && *p <= '9' && v <= hi; p++) v = v * 10 + (*p - '0');
    if (p == s || *p || v < lo || v > hi) die(USAGE, "%s takes %s, %d to %d, not '%s'", option, what, lo, hi, s);
    return (int) v;
}

/* A growing byte buffer. */
typedef struct { char *p; size_t len, cap; } buf_t;

static void put(buf_t *b, const void *s, size_t n) {
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 256;
        if (!(b->p = realloc(b->p, b->cap))) fail("out of memory");
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void puts_(buf_t *b, const char *s) { put(b, s, strlen(s)); }

/* A JSON string of n bytes: quotes, backslashes and control characters escaped, other bytes as they are. */
static void put_json(buf_t *b, const char *s, size_t n) {
    put(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char) s[i];
        if (c == '"' || c == '\\') {
            put(b, "\\", 1);
            put(b, &s[i], 1);
        } else if (c < 0x20) {
            char u[7];
            snprintf(u, sizeof u, "\\u%04x", c);
            put(b, u, 6);
        } else {
            put(b, &s[i], 1);
        }
    }
    put(b, "\"", 1);
}

static int by_name(const void *a, const void *b) {
    const char *x = *(char *const *) a, *y = *(char *const *) b;
    size_t nx = strcspn(x, "="), ny = strcspn(y, "=");
    int c = memcmp(x, y, nx < ny ? nx : ny);
    return c != 0 ? c : (nx > ny) - (nx < ny);
}

static void write_all(int fd, const void *p, size_t n) {
    const char *s = p;
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return; /* the reader is gone; so is the output */
        }
        s += w;
        n -= (size_t) w;
    }
}

/* Frames for the agent not yet written (from `sent` on). The socket does not block: a wait for
 * the agent to read is the loop's ppoll, where signals are caught, never a write. */
static buf_t to_agent;
static size_t sent;
/* The agent's end is closed: what was left to send goes nowhere; its last frames are still read. */
static int agent_closed;

static void put_frame(int kind, const void *payload, uint32_t n) {
    unsigned char h[5] = {(unsigned char) kind, n >> 24, n >> 16, n >> 8, n};
    put(&to_agent, h, 5);
    put(&to_agent, payload, n);
}

static size_t unsent(void) { return agent_closed ? 0 : to_agent.len - sent; }

static void send_frames(void) {
    while (unsent() > 0) {
        /* MSG_NOSIGNAL: an agent that closed after its last frame must not kill us before we read it */
        ssize_t w = send(sock, to_agent.p + sent, to_agent.len - sent, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (w < 0) agent_closed = 1;
        else sent += (size_t) w;
    }
    to_agent.len = sent = 0;
}

/* Whether the agent has read everything sent so far (the kernel's count of what it has not). */
static int agent_read_all(void) {
    int queued = 0;
    return agent_closed || (unsent() == 0 && ioctl(sock, SIOCOUTQ, &queued) == 0 && queued == 0);
}

/* Signals caught since the loop last looked, by number; sent to the job as frames. */
static const int FORWARDED[] = {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2};
static volatile sig_atomic_t caught[65];

static void on_signal(int sig) { caught[sig]++; }

/* The signals that end a job: a second one while the agent has not read the first stops our wait. */
static int ends_job(int sig) { return sig == SIGINT || sig == SIGTERM || sig == SIGHUP; }

/* The job's id, once the agent has said it. */
static char job_id[128];

/* Bytes of the job's stdout and stderr we have had: a reattach says them, so nothing is printed twice. */
static unsigned long long had_out, had_err;

/* A connection to the agent's job socket at path, blocking; -1 with errno if there is none. */
static int connect_agent(const char *path) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof addr.sun_path) fail("socket path too long: %s", path);
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *) &addr, sizeof addr) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* The request line, written whole while the socket still blocks; -1 with errno if the agent hung up. */
static int send_request(const buf_t *req) {
    size_t done = 0;
    while (done < req->len) {
        ssize_t w = send(sock, req->p + done, req->len - done, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        done += (size_t) w;
    }
    return 0;
}

static unsigned long long be64(const char *p) {
    unsigned long long v = 0;
    for (int k = 0; k < 8; k++) v = v << 8 | (unsigned char) p[k];
    return v;
}

/* How long we wait for a stopped agent's successor: systemd restarts it within seconds, and under
 * emulation its start takes some more (the agent keeps the job's output for 60 s of that). */
enum { REATTACH_SECONDS = 120 };

/* The agent stopped under our job. Its successor adopts the job (or the job's node attaches to
 * it) and we reattach, saying how much output we had, so that we get the rest once. Input the old
 * agent had not passed on yet is lost with it. A Ctrl-C, SIGTERM or SIGHUP meanwhile ends our
 * wait: the job runs on, and its output goes to its owner's files. */
static int said_reattaching; /* since the agent last sent a frame: an agent still stopping may take a try and drop it */

static void reattach(const char *path, const sigset_t *during_wait) {
    if (!said_reattaching) fprintf(stderr, "mosrun: the agent stopped; reattaching to job %s\n", job_id);
    said_reattaching = 1;
    close(sock);
    to_agent.len = sent = 0;
    agent_closed = 0;
    buf_t req = {0};
    puts_(&req, "{\"op\":\"reattach\",\"job\":");
    put_json(&req, job_id, strlen(job_id));
    char counts[64];
    snprintf(counts, sizeof counts, ",\"out\":%llu,\"err\":%llu}\n", had_out, had_err);
    puts_(&req, counts);
    for (int waited = 0;; waited++) {
        for (size_t k = 0; k < sizeof FORWARDED / sizeof *FORWARDED; k++) {
            int s = FORWARDED[k];
            if (ends_job(s) && caught[s] > 0)
                die(128 + s, "stopped waiting for job %s while its agent restarts; it runs on, its output going to "
                             "/var/lib/mosvm/output/%u/%s.out", job_id, (unsigned) getuid(), job_id);
        }
        sock = connect_agent(path);
        if (sock >= 0 && send_request(&req) == 0) break;
        if (sock >= 0) close(sock); /* an agent too busy to take us now, or stopping: try again */
        if (waited >= REATTACH_SECONDS * 2)
            fail("the agent did not come back within %d s; job %s may run on, its output going to /var/lib/mosvm/output/%u/%s.out",
                 REATTACH_SECONDS, job_id, (unsigned) getuid(), job_id);
        struct timespec half = {0, 500 * 1000 * 1000};
        ppoll(NULL, 0, &half, during_wait);
    }
    free(req.p);
    fcntl(sock, F_SETFL, fcntl(sock, F_GETFL) | O_NONBLOCK);
}

/* The caller's directory: $PWD when it names this directory (keeps the caller's symlinks), else the real path. */
static char *working_directory(void) {
    const char *pwd = getenv("PWD");
    struct stat a, b;
    if (pwd && stat(pwd, &a) == 0 && S_ISDIR(a.st_mode) && stat(".", &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
        return strdup(pwd);
    char *cwd = getcwd(NULL, 0);
    if (!cwd) fail("cannot read the current directory: %s", strerror(errno));
    return cwd;
}

/* The value of option -X: glued to it (-XVALUE) or the next word; a usage error naming it when there is none. */
static const char *value(int argc, char **argv, int *i, const char *what) {
    const char *o = argv[*i];
    if (o[2]) return o + 2;
    if (++*i >= argc || !*argv[*i]) die(USAGE, "%.2s needs %s", o, what);
    return argv[*i];
}

int main(int argc, char **argv) {
    int local = 0, home = 0, migratable = 0, every = 0, keep = 0, i = 1;
    const char *node = NULL, *restart = NULL;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *o = argv[i];
        if (!strcmp(o, "--")) { i++; break; }
        else if (!strcmp(o, "-L")) local = 1;
        else if (!strcmp(o, "-h")) home = 1;
        else if (!strcmp(o, "-l")) migratable = 1;
        else if (!strcmp(o, "-r")) { if (++i >= argc) fail("-r needs a node name"); node = argv[i]; }
        else if (!strncmp(o, "-r", 2)) node = o + 2;
        else if (!strncmp(o, "-A", 2)) every = bounded("-A", "minutes between checkpoints", value(argc, argv, &i, "minutes"), 1, MAX_EVERY_MINUTES);
        else if (!strncmp(o, "-N", 2)) keep = bounded("-N", "the number of checkpoints to keep", value(argc, argv, &i, "a count"), 1, MAX_KEEP);
        else if (!strncmp(o, "-R", 2)) restart = value(argc, argv, &i, "a checkpoint: a job id, JOB/N or a checkpoint's path");
        else if (!strcmp(o, "--help")) usage(0);
        else if (!strcmp(o, "-V") || !strcmp(o, "--version")) { puts("mosrun (mosvm)"); return 0; }
        else fail("unknown option %s (mosrun --help)", o);
    }
    if (restart && i < argc) die(USAGE, "-R restarts a job from checkpoint %s: it takes no PROGRAM (%s)", restart, argv[i]);
    if (!restart && i >= argc) usage(USAGE);
    if (local && node) fail("-L keeps a job home; it cannot also run on %s", node);
    if (migratable && !node) fail("-l only goes with -r NODE");
    if (home + local + (node != NULL) > 1) fail("choose one of -h, -L and -r NODE");

    buf_t req = {0};
    puts_(&req, "{\"op\":\"run\",\"argv\":[");
    for (int k = i; k < argc; k++) {
        if (k > i) puts_(&req, ",");
        put_json(&req, argv[k], strlen(argv[k]));
    }
    puts_(&req, "],\"env\":{");
    size_t n_env = 0;
    while (environ[n_env]) n_env++;
    char **env = malloc((n_env + 1) * sizeof *env);
    if (!env) fail("out of memory");
    memcpy(env, environ, n_env * sizeof *env);
    qsort(env, n_env, sizeof *env, by_name);
    for (size_t k = 0; k < n_env; k++) {
        const char *eq = strchr(env[k], '=');
        if (!eq) continue;
        if (req.p[req.len - 1] != '{') puts_(&req, ",");
        put_json(&req, env[k], (size_t) (eq - env[k]));
        puts_(&req, ":");
        put_json(&req, eq + 1, strlen(eq + 1));
    }
    puts_(&req, "},\"cwd\":");
    char *cwd = working_directory();
    put_json(&req, cwd, strlen(cwd));
    if (node) { puts_(&req, ",\"node\":"); put_json(&req, node, strlen(node)); }
    if (local) puts_(&req, ",\"local\":true");
    if (migratable) puts_(&req, ",\"migratable\":true");
    if (home) puts_(&req, ",\"startHome\":true");
    char number[16];
    if (every) { snprintf(number, sizeof number, "%d", every); puts_(&req, ",\"checkpointEvery\":"); puts_(&req, number); }
    if (keep) { snprintf(number, sizeof number, "%d", keep); puts_(&req, ",\"keepCheckpoints\":"); puts_(&req, number); }
    if (restart) { puts_(&req, ",\"restart\":"); put_json(&req, restart, strlen(restart)); }
    puts_(&req, "}\n");

    const char *path = getenv("MOSVM_JOBS_SOCKET");
    if (!path || !*path) path = "/run/mosvm/jobs.sock";
    sock = connect_agent(path);
    if (sock < 0) fail("cannot reach this appliance's agent at %s: %s", path, strerror(errno));
    if (send_request(&req) < 0) fail("cannot send the request: %s", strerror(errno));

    /* The forwarded signals are blocked except inside ppoll, so none is caught between a look
     * at `caught` and the wait: ppoll returns EINTR at once and the loop sends it. */
    sigset_t blocked, during_wait;
    sigemptyset(&blocked);
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    for (size_t k = 0; k < sizeof FORWARDED / sizeof *FORWARDED; k++) {
        sigaction(FORWARDED[k], &sa, NULL);
        sigaddset(&blocked, FORWARDED[k]);
    }
    sigprocmask(SIG_BLOCK, &blocked, &during_wait);
    fcntl(sock, F_SETFL, fcntl(sock, F_GETFL) | O_NONBLOCK);

    /* The agent passes each signal on as it reads it, and ends the wait itself when the job's
     * node is gone. One that reads nothing (hung, or held up by a job between nodes) must not
     * keep us here: after a Ctrl-C, SIGTERM or SIGHUP, input waits until the agent has read
     * it, and another such signal before then ends the wait (closing the stream, which the
     * agent takes as a hang-up of the job once it reads on). */
    int signal_unread = 0;
    buf_t in = {0};
    int stdin_open = 1;
    static char chunk[65536];
    for (;;) {
        for (size_t k = 0; k < sizeof FORWARDED / sizeof *FORWARDED; k++) {
            int s = FORWARDED[k];
            for (; caught[s] > 0; caught[s]--) {
                if (ends_job(s) && signal_unread) {
                    if (*job_id) die(128 + s, "stopped waiting for job %s: the agent has not taken the signal before this one", job_id);
                    die(128 + s, "stopped waiting: the agent has not answered");
                }
                unsigned char p[4] = {0, 0, 0, (unsigned char) s};
                put_frame(F_SIGNAL, p, 4);
                if (ends_job(s)) signal_unread = 1;
            }
        }
        send_frames();
        if (signal_unread && agent_read_all()) signal_unread = 0;
        int read_stdin = stdin_open && !signal_unread && unsent() < sizeof chunk;
        struct pollfd fds[2] = {{.fd = sock, .events = POLLIN | (unsent() > 0 ? POLLOUT : 0)}, {.fd = 0, .events = POLLIN}};
        /* nothing wakes us when the agent reads: look again shortly while a signal waits for it */
        struct timespec shortly = {0, 100 * 1000 * 1000};
        int r = ppoll(fds, read_stdin ? 2 : 1, signal_unread ? &shortly : NULL, &during_wait);
        if (r < 0) {
            if (errno == EINTR) continue;
            fail("waiting for the agent: %s", strerror(errno));
        }
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(sock, chunk, sizeof chunk);
            if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
            if (n <= 0 && !*job_id) fail("the agent closed the job's stream before it started");
            if (n <= 0) { /* the agent stopped under the job (a crash, an upgrade): the next one takes it on again */
                reattach(path, &during_wait);
                in.len = 0; /* a frame cut short by the old agent: never counted, the new one sends it again */
                signal_unread = 0;
                if (!stdin_open) put_frame(F_STDIN_EOF, "", 0);
                continue;
            }
            put(&in, chunk, (size_t) n);
            size_t at = 0;
            while (in.len - at >= 5) {
                const unsigned char *h = (const unsigned char *) in.p + at;
                uint32_t len = (uint32_t) h[1] << 24 | (uint32_t) h[2] << 16 | (uint32_t) h[3] << 8 | h[4];
                if (in.len - at - 5 < len) break;
                const char *p = in.p + at + 5;
                said_reattaching = 0;
                switch (h[0]) {
                    case F_STDOUT: write_all(1, p, len); had_out += len; break;
                    case F_STDERR: write_all(2, p, len); had_err += len; break;
                    case F_EXIT:
                        if (len != 4) fail("malformed exit frame from the agent");
                        exit((int) ((uint32_t) (unsigned char) p[0] << 24 | (uint32_t) (unsigned char) p[1] << 16
                                | (uint32_t) (unsigned char) p[2] << 8 | (unsigned char) p[3]));
                    case F_ERROR: fail("%.*s", (int) len, p);
                    case F_LOST: die(LOST, "%.*s", (int) len, p);
                    case F_STARTED: snprintf(job_id, sizeof job_id, "%.*s", (int) len, p); break;
                    case F_POSITION: /* our stream jumped (a restored job's start, a gap): our counts are the job's */
                        if (len != 16) fail("malformed position frame from the agent");
                        had_out = be64(p);
                        had_err = be64(p + 8);
                        break;
                    default: fail("unexpected frame %d from the agent", h[0]);
                }
                at += 5 + len;
            }
            memmove(in.p, in.p + at, in.len - at);
            in.len -= at;
        }
        if (read_stdin && fds[1].revents) {
            ssize_t n = read(0, chunk, 8192);
            if (n < 0 && errno == EINTR) continue;
            if (n > 0) {
                put_frame(F_STDIN, chunk, (uint32_t) n);
            } else { /* end of input, or input that cannot be read */
                put_frame(F_STDIN_EOF, "", 0);
                stdin_open = 0;
            }
        }
    }
}
