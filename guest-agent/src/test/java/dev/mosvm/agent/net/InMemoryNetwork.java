package dev.mosvm.agent.net;

import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

/**
 * Datagrams between {@link Transport}s in one JVM, for tests of several agents where real UDP
 * is not the point: no free ports to find, nothing lost to a busy machine, and several nodes
 * may use the same port on hosts of their own ({@link #host}). As over UDP, each transport
 * hands what it receives to its receiver on a thread of its own, in the order sent; a
 * datagram to an address and port that nobody holds is lost.
 */
public final class InMemoryNetwork {
    private final Map<String, Endpoint> endpoints = new ConcurrentHashMap<>();
    private int nextFreePort = 49152;

    /** Opens transports on the host with this address (a wildcard bind means this host too). */
    public Transport.Factory host(String address) {
        return (bind, receiver) -> {
            String at = bind.getAddress() == null || bind.getAddress().isAnyLocalAddress() ? address : bind.getHostString();
            int port = bind.getPort() == 0 ? freePort() : bind.getPort();
            Endpoint e = new Endpoint(key(at, port), port, receiver);
            if (endpoints.putIfAbsent(e.key, e) != null) throw new BindException(at + ":" + port + " is in use");
            return e;
        };
    }

    private synchronized int freePort() {
        return nextFreePort++;
    }

    private static String key(String address, int port) {
        return address + ":" + port;
    }

    private final class Endpoint implements Transport {
        final String key;
        final int port;
        final Transport.Receiver receiver;
        final ExecutorService delivery;

        Endpoint(String key, int port, Transport.Receiver receiver) {
            this.key = key;
            this.port = port;
            this.receiver = receiver;
            this.delivery = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "in-memory-receive " + key);
                t.setDaemon(true);
                return t;
            });
        }

        @Override
        public void send(String address, int port, byte[] data) {
            Endpoint to = endpoints.get(key(address, port));
            if (to == null) return; // nobody listens there: lost, as over UDP
            byte[] copy = data.clone();
            try {
                to.delivery.execute(() -> to.receiver.packet(copy, copy.length));
            } catch (RejectedExecutionException closedMeanwhile) {
                // lost, as a datagram to a socket that has just closed is
            }
        }

        @Override
        public int port() {
            return port;
        }

        @Override
        public void close() {
            endpoints.remove(key, this);
            delivery.shutdownNow();
        }
    }
}
