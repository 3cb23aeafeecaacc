package dev.mosvm.agent.net;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.logging.Level;
import java.util.logging.Logger;

/** The agent's {@link Transport}: one UDP socket, one receiving thread. */
public final class UdpTransport implements Transport {
    private static final Logger LOG = Logger.getLogger(UdpTransport.class.getName());
    private final DatagramSocket socket;
    private final Thread receiver;

    public UdpTransport(InetSocketAddress bind, Receiver onPacket) throws SocketException {
        socket = new DatagramSocket(bind);
        receiver = new Thread(() -> {
            byte[] buf = new byte[PacketSealer.MAX_PACKET_BYTES + 1];
            while (!socket.isClosed()) {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                try {
                    socket.receive(p);
                    onPacket.packet(java.util.Arrays.copyOf(p.getData(), p.getLength()), p.getLength());
                } catch (IOException e) {
                    if (!socket.isClosed()) LOG.log(Level.FINE, "receive failed", e);
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "a packet handler failed", e); // never let one packet stop the agent
                }
            }
        }, "gossip-receive");
        receiver.setDaemon(true);
        receiver.start();
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
        socket.close();
    }
}
