/*
 * mosvm-pagelink listen ADDRESS PEER -- COMMAND [ARGS...]
 * mosvm-pagelink connect ADDRESS PORT -- COMMAND [ARGS...]
 *
 * Opens the one TCP connection of a migration's page stream, turns on kernel TLS (TLS 1.3
 * records, AES-128-GCM) in both directions with keys read from standard input, and runs
 * COMMAND (`criu page-server|pre-dump|dump ... --ps-socket 3`) with the connection as
 * descriptor 3. CRIU then splices pages into and out of the socket as it would over plain
 * TCP, and the kernel seals and checks every record: no TLS library in the data path (CRIU's
 * GnuTLS receive loop moved about 18 MB/s under emulation and leaked what it received).
 *
 * There is no handshake: the two agents agree fresh keys for each stream over their own
 * authenticated, encrypted peer channel. A record not sealed with them fails its tag check,
 * the read fails (EBADMSG), CRIU fails, and the migration resumes the job on its source.
 *
 * Standard input: one line, 112 hex digits: this side's sending key (16 bytes), IV (8) and
 * salt (4), then its receiving key, IV and salt. `listen` prints the port it listens on and
 * takes the first connection from PEER within 60 s (any other is closed unanswered).
 *
 * Exit status: COMMAND's, or 1 with a one-line reason on standard error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef SOL_TLS
#define SOL_TLS 282
#endif
#ifndef TCP_ULP
#define TCP_ULP 31
#endif

enum { KEY = TLS_CIPHER_AES_GCM_128_KEY_SIZE, IV = TLS_CIPHER_AES_GCM_128_IV_SIZE, SALT = TLS_CIPHER_AES_GCM_128_SALT_SIZE };
enum { SIDE = KEY + IV + SALT, ACCEPT_SECONDS = 60 };

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

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* The two sides' key material from standard input (never argv: /proc/PID/cmdline is world-readable). */
static void read_keys(unsigned char keys[2 * SIDE]) {
    char line[4 * SIDE + 8];
    if (!fgets(line, sizeof line, stdin)) fail("no keys on standard input");
    line[strcspn(line, "\r\n")] = 0;
    if (strlen(line) != 4 * SIDE) fail("keys must be %d hex digits, got %zu", 4 * SIDE, strlen(line));
    for (int i = 0; i < 2 * SIDE; i++) {
        int hi = hexval(line[2 * i]), lo = hexval(line[2 * i + 1]);
        if (hi < 0 || lo < 0) fail("keys must be hex digits");
        keys[i] = (unsigned char) (hi << 4 | lo);
    }
    explicit_bzero(line, sizeof line);
}

static void set_direction(int sk, int direction, const unsigned char *m) {
    struct tls12_crypto_info_aes_gcm_128 ci;
    memset(&ci, 0, sizeof ci);
    ci.info.version = TLS_1_3_VERSION;
    ci.info.cipher_type = TLS_CIPHER_AES_GCM_128;
    memcpy(ci.key, m, KEY);
    memcpy(ci.iv, m + KEY, IV);
    memcpy(ci.salt, m + KEY + IV, SALT);
    /* record sequence starts at zero: the keys are new for this one connection */
    if (setsockopt(sk, SOL_TLS, direction, &ci, sizeof ci) != 0)
        fail("kernel TLS %s key refused: %s", direction == TLS_TX ? "send" : "receive", strerror(errno));
    explicit_bzero(&ci, sizeof ci);
}

static void seal(int sk, unsigned char keys[2 * SIDE]) {
    if (setsockopt(sk, SOL_TCP, TCP_ULP, "tls", sizeof "tls") != 0)
        fail("kernel TLS unavailable (is the tls module loaded?): %s", strerror(errno));
    set_direction(sk, TLS_TX, keys);
    set_direction(sk, TLS_RX, keys + SIDE);
    explicit_bzero(keys, 2 * SIDE);
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
        int sk = accept4(ls, (struct sockaddr *) &from, &flen, 0);
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
    int sk = socket(to.ss_family, SOCK_STREAM, 0);
    if (sk < 0 || connect(sk, (struct sockaddr *) &to, len) != 0) fail("cannot connect to %s port %s: %s", address, port, strerror(errno));
    return sk;
}

int main(int argc, char **argv) {
    if (argc < 6 || strcmp(argv[4], "--") != 0) usage();
    int listening = strcmp(argv[1], "listen") == 0;
    if (!listening && strcmp(argv[1], "connect") != 0) usage();
    unsigned char keys[2 * SIDE];
    read_keys(keys);
    int sk = listening ? do_listen(argv[2], argv[3]) : do_connect(argv[2], argv[3]);
    seal(sk, keys);

    if (sk != 3) {
        if (dup2(sk, 3) != 3) fail("dup2: %s", strerror(errno));
        close(sk);
    }
    int null = open("/dev/null", O_RDWR);
    if (null < 0) fail("/dev/null: %s", strerror(errno));
    dup2(null, 0);
    if (listening) dup2(null, 1); /* the port line was the agent's; COMMAND logs to its own file */
    if (null > 3) close(null);
    execvp(argv[5], argv + 5);
    fail("cannot run %s: %s", argv[5], strerror(errno));
}
