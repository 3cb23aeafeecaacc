package dev.mosvm.agent.net;

import dev.mosvm.agent.guard.Supervised;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The agent's {@link Transport}: one UDP socket, one receiving thread. Every datagram is read
 * into one reused buffer and handed over from there, so a flood of garbage costs a receive and
 * the sealer's few checks each, and no allocation.
 */
public final class UdpTransport implements Transport {
    private static final Logger LOG = Logger.getLogger(UdpTransport.class.getName());
    private final DatagramSocket socket;
    private final Supervised receiver;

    public UdpTransport(InetSocketAddress bind, Receiver onPacket) throws SocketException {
        socket = new DatagramSocket(bind);
        byte[] buf = new byte[PacketSealer.MAX_PACKET_BYTES + 1];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        // a failure (a handler's bug, an Error) pauses the receiver briefly and is logged; it never stops it
        receiver = Supervised.loop("gossip-receive", () -> {
            p.setLength(buf.length);
            try {
                socket.receive(p);
            } catch (IOException e) {
                if (socket.isClosed()) return false;
                throw e;
            }
            onPacket.packet(buf, p.getLength());
            return true;
        });
    }

    @Override
    public int port() {
        return socket.getLocalPort();
    }

    @Override
    public void send(String address, int port, byte[] data) {
        try {
            socket.send(new DatagramPacket(data, data.length, new InetSocketAddress(address, port)));
        } catch (IOException e) {
            LOG.log(Level.FINE, "send to " + address + ":" + port + " failed", e); // gossip tolerates loss
        }
    }

    @Override
    public void close() {
        receiver.close();
        socket.close();
    }
}
