package dev.mosvm.agent.net;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * Best-effort datagrams between agents: what gossip sends and receives through. The agent
 * uses {@link UdpTransport}; tests of several agents in one JVM use an in-memory network, so
 * they need no free ports and lose nothing to a busy machine.
 */
public interface Transport extends AutoCloseable {
    /** Sends one datagram; one that cannot go is dropped (gossip tolerates loss). */
    void send(String address, int port, byte[] data);

    /** The port this transport receives on. */
    int port();

    @Override
    void close();

    /**
     * What a transport hands each datagram it receives, on its own receiving thread: the first
     * {@code length} bytes of {@code data}, which the transport may reuse once the call returns.
     */
    @FunctionalInterface
    interface Receiver {
        void packet(byte[] data, int length);
    }

    /** Opens a transport bound to {@code bind} (port 0: any free port) that hands what arrives to {@code receiver}. */
    @FunctionalInterface
    interface Factory {
        Transport open(InetSocketAddress bind, Receiver receiver) throws IOException;
    }

    /** Real UDP sockets: the agent's transport. */
    Factory UDP = UdpTransport::new;
}
