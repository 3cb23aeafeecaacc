package dev.mosvm.agent.guard;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The threads a server serves its connections on: at most a fixed number, reused from one
 * connection to the next (a flood of short connections would otherwise start and end a thread
 * each, costly on an emulated CPU), started as connections come and ended after 30 s idle, so
 * the idle agent keeps none. Nothing queues: with every thread busy, a connection is refused
 * ({@link java.util.concurrent.RejectedExecutionException}); a server's gates admit no more
 * connections than it has threads, so that happens only in the moment a thread is between two.
 */
public final class Workers {
    private Workers() {}

    public static ExecutorService upTo(int threads, String name) {
        return new ThreadPoolExecutor(0, threads, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Threads for background work that may wait its turn: at most {@code threads}, at most
     * {@code waiting} tasks queued (more are refused, {@link java.util.concurrent.RejectedExecutionException}),
     * at the lowest priority, and none kept once idle for 30 s.
     */
    public static ExecutorService queued(int threads, int waiting, String name) {
        ThreadPoolExecutor p = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(waiting), r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            t.setPriority(Thread.MIN_PRIORITY);
            return t;
        });
        p.allowCoreThreadTimeOut(true);
        return p;
    }
}
