/*
 * mosvm-pagelink listen ADDRESS PEER -- COMMAND [ARGS...]
 * mosvm-pagelink connect ADDRESS PORT -- COMMAND [ARGS...]
 *
 * Carries one CRIU page stream between two appliances, sealed: COMMAND (`criu page-server`,
 * `criu pre-dump` or `criu dump`, with `--ps-socket 3`) gets one end of a loopback TCP
 * connection as descriptor 3, and this program relays between that and the network
 * connection, sealing what goes out and opening what comes in as ChaCha20-Poly1305 records
 * (OpenSSL's libcrypto, linked statically).
 *
 * Why not CRIU's own TLS, nor kernel TLS: under QEMU's TCG emulation (no KVM) the cost of a
 * page stream is the cipher, and emulated SIMD instructions are slower than plain integer
 * code. Measured on one emulated CPU, 16 KiB records: OpenSSL's ChaCha20-Poly1305 moves 23
 * MB/s with AVX2, 62 with SSSE3 and 181 with its integer-only code; AES-128-GCM 58 (its
 * carry-less multiplies are emulated bit by bit); CRIU's GnuTLS page server received 18 MB/s
 * and kernel TLS about 15, while plain TCP between the two VMs moves about 120. So under TCG
 * (CPUID says "TCGTCGTCGTCG") this program re-executes itself with OPENSSL_ia32cap masking
 * the SIMD paths, and elsewhere lets OpenSSL pick the fastest one, as usual.
 *
 * There is no handshake: the two agents agree fresh keys for each stream over their own
 * authenticated, encrypted peer channel. Each direction has its own key; a record's nonce is
 * its number in the stream, so records cannot be replayed, dropped or reordered unnoticed; its
 * length is authenticated with it; and an empty record ends the stream, so a cut is not taken
 * for an end. A record that fails to open ends the relay: CRIU sees its stream break, fails,
 * and the migration resumes the job on its source.
 *
 * Standard input: one line, 176 hex digits: this side's sending key (32 bytes) and IV (12),
 * then its receiving key and IV. `listen` prints the port it listens on and takes the first
 * connection from PEER within 60 s (any other is closed unanswered).
 *
 * Or the line `plain`, for pools founded with `--page-streams plain` (one machine, or a network
 * the pool trusts): COMMAND then gets the network connection itself as descriptor 3, with no
 * relay and no cipher. Measured between two TCG appliances, 500 MiB: CRIU straight into a
 * remote page server took 7.4 s, through this relay sealed 29.8 s, and kernel alternatives that
 * would have kept CRIU on the socket were no faster (kernel TLS with the generic ChaCha20 code
 * 56.6 s, TCP-MD5 signatures 30.7 s), so a trusted network's only fast path is no cipher at all.
 *
 * Exit status: COMMAND's, or 1 with a one-line reason on standard error.
 */
// link: -lcrypto
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { KEY = 32, IV = 12, TAG = 16, SIDE = KEY + IV, ACCEPT_SECONDS = 60 };
enum { RECORD = 256 * 1024 }; /* largest plaintext per record */
/* OpenSSL's integer-only code: SSSE3 (and with it every vector path) and the extended features off */
static const char *SCALAR_CAPS = "~0x20000000000:0";

static void fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("mosvm-pagelink: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void usage(void) {
    fail("usage: mosvm-pagelink listen ADDRESS PEER -- COMMAND... | connect ADDRESS PORT -- COMMAND... (keys on stdin)");
}

/* Whether this CPU is QEMU's TCG emulation (its hypervisor CPUID leaf says so). */
static int emulated(void) {
    unsigned a, b, c, d;
    __cpuid(1, a, b, c, d);
    if (!(c & (1u << 31))) return 0;
    __cpuid(0x40000000, a, b, c, d);
    char sig[13];
    memcpy(sig, &b, 4);
    memcpy(sig + 4, &c, 4);
    memcpy(sig + 8, &d, 4);
    sig[12] = 0;
    return strcmp(sig, "TCGTCGTCGTCG") == 0;
}

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/*
 * The two directions' keys from standard input (never argv: /proc/PID/cmdline is world-readable);
 * 0 if the line says the stream goes plain.
 */
static int read_keys(unsigned char keys[2 * SIDE]) {
    char line[4 * SIDE + 8];
    if (!fgets(line, sizeof line, stdin)) fail("no keys on standard input");
    line[strcspn(line, "\r\n")] = 0;
    if (strcmp(line, "plain") == 0) return 0;
    if (strlen(line) != 4 * SIDE) fail("keys must be %d hex digits, got %zu", 4 * SIDE, strlen(line));
    for (int i = 0; i < 2 * SIDE; i++) {
        int hi = hexval(line[2 * i]), lo = hexval(line[2 * i + 1]);
        if (hi < 0 || lo < 0) fail("keys must be hex digits");
        keys[i] = (unsigned char) (hi << 4 | lo);
    }
    OPENSSL_cleanse(line, sizeof line);
    return 1;
}

/* A numeric IPv4 or IPv6 address and port (no name lookups: the agent passes addresses). */
static socklen_t parse(const char *host, int port, struct sockaddr_storage *ss) {
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *s4 = (struct sockaddr_in *) ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *) ss;
    if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        return sizeof *s4;
    }
    if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        return sizeof *s6;
    }
    fail("bad address %s", host);
    return 0;
}

/* The peer's address as text, IPv4-mapped IPv6 addresses shown as IPv4. */
static void peer_text(const struct sockaddr_storage *ss, char *out, size_t n) {
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *) ss;
        if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], out, n);
        else inet_ntop(AF_INET6, &s6->sin6_addr, out, n);
    } else {
        inet_ntop(AF_INET, &((const struct sockaddr_in *) ss)->sin_addr, out, n);
    }
}

static int do_listen(const char *address, const char *peer) {
    struct sockaddr_storage at;
    socklen_t alen = parse(address, 0, &at);
    int ls = socket(at.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (ls < 0 || bind(ls, (struct sockaddr *) &at, alen) != 0 || listen(ls, 4) != 0) fail("cannot listen on %s: %s", address, strerror(errno));
    struct sockaddr_storage me;
    socklen_t len = sizeof me;
    if (getsockname(ls, (struct sockaddr *) &me, &len) != 0) fail("getsockname: %s", strerror(errno));
    int port = ntohs(me.ss_family == AF_INET6 ? ((struct sockaddr_in6 *) &me)->sin6_port : ((struct sockaddr_in *) &me)->sin_port);
    printf("%d\n", port);
    if (fflush(stdout) != 0) fail("cannot report the port");

    char want[INET6_ADDRSTRLEN];
    struct sockaddr_storage pa;
    parse(peer, 0, &pa);
    peer_text(&pa, want, sizeof want);
    time_t deadline = time(NULL) + ACCEPT_SECONDS;
    for (;;) {
        int left = (int) (deadline - time(NULL));
        struct pollfd p = { .fd = ls, .events = POLLIN };
        int ready = left <= 0 ? 0 : poll(&p, 1, left * 1000);
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) fail("poll: %s", strerror(errno));
        if (ready == 0) fail("no connection from %s within %d s", peer, ACCEPT_SECONDS);
        struct sockaddr_storage from;
        socklen_t flen = sizeof from;
        int sk = accept4(ls, (struct sockaddr *) &from, &flen, SOCK_CLOEXEC);
        if (sk < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            fail("accept: %s", strerror(errno));
        }
        char got[INET6_ADDRSTRLEN];
        peer_text(&from, got, sizeof got);
        if (strcmp(got, want) == 0) {
            close(ls);
            return sk;
        }
        fprintf(stderr, "mosvm-pagelink: closed a connection from %s (waiting for %s)\n", got, peer);
        close(sk);
    }
}

static int do_connect(const char *address, const char *port) {
    char *end;
    long p = strtol(port, &end, 10);
    if (*port == 0 || *end != 0 || p < 1 || p > 65535) fail("bad port %s", port);
    struct sockaddr_storage to;
    socklen_t len = parse(address, (int) p, &to);
    int sk = socket(to.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sk < 0 || connect(sk, (struct sockaddr *) &to, len) != 0) fail("cannot connect to %s port %s: %s", address, port, strerror(errno));
    return sk;
}

/* A connected pair of loopback TCP sockets: CRIU reads and writes one as it would the network. */
static void loopback_pair(int *outer, int *inner) {
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (ls < 0 || bind(ls, (struct sockaddr *) &a, len) != 0 || listen(ls, 1) != 0 || getsockname(ls, (struct sockaddr *) &a, &len) != 0)
        fail("loopback listen: %s", strerror(errno));
    *outer = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (*outer < 0 || connect(*outer, (struct sockaddr *) &a, len) != 0) fail("loopback connect: %s", strerror(errno));
    *inner = accept4(ls, NULL, NULL, 0);
    if (*inner < 0) fail("loopback accept: %s", strerror(errno));
    close(ls);
}

/* One direction's cipher state: its keyed context, IV and the number of the next record. */
typedef struct { EVP_CIPHER_CTX *ctx; unsigned char iv[IV]; uint64_t seq; } seal_t;

/* Keys the context once (fetching the cipher and setting the key per record cost more than sealing 64 KiB under emulation). */
static void seal_init(seal_t *s, const unsigned char *material, int encrypt) {
    static EVP_CIPHER *cipher;
    if (!cipher && !(cipher = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL))) fail("no ChaCha20-Poly1305 in libcrypto");
    memcpy(s->iv, material + KEY, IV);
    s->seq = 0;
    if (!(s->ctx = EVP_CIPHER_CTX_new()) || EVP_CipherInit_ex2(s->ctx, cipher, material, s->iv, encrypt, NULL) != 1) fail("cannot key the cipher");
}

/* The record's nonce: the IV with the record number XORed into its last 8 bytes (as TLS 1.3). */
static void nonce(const seal_t *s, unsigned char out[IV]) {
    memcpy(out, s->iv, IV);
    for (int i = 0; i < 8; i++) out[IV - 1 - i] ^= (unsigned char) (s->seq >> (8 * i));
}

/* Seals buf[4 .. 4+n) in place behind its 4-byte length header; returns the record's size. */
static size_t seal(seal_t *s, unsigned char *buf, size_t n) {
    unsigned char nv[IV];
    int len;
    uint32_t be = htonl((uint32_t) n);
    memcpy(buf, &be, 4);
    nonce(s, nv);
    s->seq++;
    if (EVP_EncryptInit_ex2(s->ctx, NULL, NULL, nv, NULL) != 1 || EVP_EncryptUpdate(s->ctx, NULL, &len, buf, 4) != 1
        || (n > 0 && EVP_EncryptUpdate(s->ctx, buf + 4, &len, buf + 4, (int) n) != 1) || EVP_EncryptFinal_ex(s->ctx, buf + 4 + n, &len) != 1
        || EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_AEAD_GET_TAG, TAG, buf + 4 + n) != 1)
        fail("sealing a record failed");
    return 4 + n + TAG;
}

/* Opens the record whose header is buf[0..4) and body buf[4 .. 4+n+TAG) in place; 0 if it does not open. */
static int open_record(seal_t *s, unsigned char *buf, size_t n) {
    unsigned char nv[IV];
    int len;
    nonce(s, nv);
    s->seq++;
    return EVP_DecryptInit_ex2(s->ctx, NULL, NULL, nv, NULL) == 1 && EVP_DecryptUpdate(s->ctx, NULL, &len, buf, 4) == 1
        && (n == 0 || EVP_DecryptUpdate(s->ctx, buf + 4, &len, buf + 4, (int) n) == 1)
        && EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_AEAD_SET_TAG, TAG, buf + 4 + n) == 1 && EVP_DecryptFinal_ex(s->ctx, buf + 4 + n, &len) == 1;
}

/* Writes all of buf; 0 on failure. */
static int write_all(int fd, const unsigned char *buf, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return 0;
        buf += w;
        n -= (size_t) w;
    }
    return 1;
}

/* Reads exactly n bytes; 1, or 0 at the end of the stream before any, -1 on an error or a cut. */
static int read_all(int fd, unsigned char *buf, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) return got == 0 ? 0 : -1;
        got += (size_t) r;
    }
    return 1;
}

/*
 * Relays until COMMAND closes its end (it has finished with the stream): its bytes go out
 * sealed, the peer's records come in opened. When the network side breaks (a cut, a record
 * that does not open), COMMAND's end is half-closed so it sees its stream end and fails, and
 * what it still writes is discarded.
 */
static void relay(int net, int local, seal_t *out, seal_t *in) {
    static unsigned char obuf[4 + RECORD + TAG], ibuf[4 + RECORD + TAG];
    int net_open = 1;
    for (;;) {
        struct pollfd p[2] = { { .fd = local, .events = POLLIN }, { .fd = net_open ? net : -1, .events = POLLIN } };
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR) continue;
            fail("poll: %s", strerror(errno));
        }
        if (p[0].revents) {
            /* what is there now, up to a whole record: fewer, larger records cost less to seal */
            ssize_t n = read(local, obuf + 4, RECORD);
            if (n < 0 && errno == EINTR) continue;
            while (n > 0 && n < RECORD) {
                ssize_t more = recv(local, obuf + 4 + n, RECORD - (size_t) n, MSG_DONTWAIT);
                if (more <= 0) break;
                n += more;
            }
            if (n <= 0) { /* COMMAND is done: end the stream with an empty record */
                if (net_open) write_all(net, obuf, seal(out, obuf, 0));
                shutdown(net, SHUT_WR);
                return;
            }
            if (net_open && !write_all(net, obuf, seal(out, obuf, (size_t) n))) {
                fprintf(stderr, "mosvm-pagelink: sending: %s\n", strerror(errno));
                net_open = 0;
                shutdown(local, SHUT_WR);
            }
        }
        if (net_open && p[1].revents) {
            const char *broke = NULL;
            int r = read_all(net, ibuf, 4);
            uint32_t be;
            memcpy(&be, ibuf, 4);
            size_t n = ntohl(be);
            if (r <= 0) broke = r == 0 ? "the peer closed the stream without ending it" : "the stream broke";
            else if (n > RECORD) broke = "a record longer than any sent";
            else if (read_all(net, ibuf + 4, n + TAG) <= 0) broke = "the stream broke inside a record";
            else if (!open_record(in, ibuf, n)) broke = "a record failed authentication";
            else if (n == 0) broke = ""; /* the peer ended its stream */
            else if (!write_all(local, ibuf + 4, n)) broke = "the local end closed";
            if (broke) {
                if (*broke) fprintf(stderr, "mosvm-pagelink: %s\n", broke);
                net_open = 0;
                shutdown(local, SHUT_WR); /* COMMAND sees the end (or the break) and finishes or fails */
            }
        }
    }
}

int main(int argc, char **argv) {
    if (argc < 6 || strcmp(argv[4], "--") != 0) usage();
    int listening = strcmp(argv[1], "listen") == 0;
    if (!listening && strcmp(argv[1], "connect") != 0) usage();
    if (emulated() && !getenv("OPENSSL_ia32cap")) {
        /* OpenSSL reads its CPU capabilities before main: set them, then start again (stdin unread) */
        setenv("OPENSSL_ia32cap", SCALAR_CAPS, 1);
        execv("/proc/self/exe", argv);
        fail("cannot re-execute itself: %s", strerror(errno));
    }
    unsigned char keys[2 * SIDE];
    int sealed = read_keys(keys);
    seal_t out, in;
    if (sealed) {
        seal_init(&out, keys, 1);
        seal_init(&in, keys + SIDE, 0);
        OPENSSL_cleanse(keys, sizeof keys);
    }

    int net = listening ? do_listen(argv[2], argv[3]) : do_connect(argv[2], argv[3]);
    int one = 1;
    setsockopt(net, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* CRIU waits for small answers */
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0) fail("/dev/null: %s", strerror(errno));
    dup2(null, 0);
    if (listening) dup2(null, 1); /* the port line was the agent's; COMMAND logs to its own file */
    if (!sealed) { /* COMMAND on the connection itself; dup2 onto itself would keep close-on-exec */
        if (dup2(net, 3) != 3 || fcntl(3, F_SETFD, 0) != 0) fail("dup2: %s", strerror(errno));
        execvp(argv[5], argv + 5);
        fail("cannot run %s: %s", argv[5], strerror(errno));
    }
    int outer, inner;
    loopback_pair(&outer, &inner);

    pid_t child = fork();
    if (child < 0) fail("fork: %s", strerror(errno));
    if (child == 0) {
        if (dup2(inner, 3) != 3) fail("dup2: %s", strerror(errno));
        execvp(argv[5], argv + 5);
        fail("cannot run %s: %s", argv[5], strerror(errno));
    }
    close(inner);
    relay(net, outer, &out, &in);
    int status;
    while (waitpid(child, &status, 0) < 0) {
        if (errno != EINTR) fail("waitpid: %s", strerror(errno));
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
