/*
 * mosvm-speed [BUDGET_MS]: this CPU's speed for the agent's speed figure. Runs the same loop
 * as dev.mosvm.agent.node.SpeedBenchmark (xorshift steps and writes to a 16 KiB table) in rounds for
 * about BUDGET_MS (default 400) and prints the best round's iterations per second.
 *
 * Native because under TCG the agent's own JVM can run that loop an order of magnitude slower
 * than it should for the whole life of the JVM, while other programs run at the speed of the
 * node's cap (docs/benchmarks.md): a node that reads ten times too slow gets no jobs.
 * Compiled code has no warm-up and no layout to go wrong, and starts in milliseconds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { ROUND_OPS = 1 << 21, MIN_ROUNDS = 3 };

static volatile uint64_t sink;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static uint64_t round_of(int ops) {
    static int32_t table[4096];
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (int i = 0; i < ops; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        table[x & 4095] += (int32_t) x;
    }
    return x + (uint64_t) table[x & 4095];
}

int main(int argc, char **argv) {
    long budget = argc > 1 ? strtol(argv[1], NULL, 10) : 400;
    if (budget <= 0 || budget > 60000) {
        fputs("usage: mosvm-speed [BUDGET_MS], 1 to 60000\n", stderr);
        return 2;
    }
    double deadline = now() + budget / 1000.0;
    double best = 1e30;
    int rounds = 0;
    do {
        double t0 = now();
        sink ^= round_of(ROUND_OPS);
        double t = now() - t0;
        if (t < best) best = t;
        rounds++;
    } while (now() < deadline || rounds < MIN_ROUNDS);
    printf("%.0f\n", ROUND_OPS / best);
    return 0;
}
