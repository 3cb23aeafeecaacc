package dev.mosvm.agent.jobs;

import dev.mosvm.api.Json;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** A caller's side of the job socket: connected, the request line sent, frames to read and write. */
public final class JobConnection implements AutoCloseable {
    private final SocketChannel channel;
    public final DataInputStream in;
    public final DataOutputStream out;

    private JobConnection(SocketChannel channel) {
        this.channel = channel;
        this.in = new DataInputStream(new BufferedInputStream(ChannelStreams.in(channel)));
        this.out = new DataOutputStream(new BufferedOutputStream(ChannelStreams.out(channel)));
    }

    public static JobConnection open(Path socket, JobRequest request) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            ch.close();
            throw new IOException("cannot reach this appliance's agent at " + socket + " (" + e.getMessage() + ")");
        }
        JobConnection c = new JobConnection(ch);
        c.out.write((Json.MAPPER.writeValueAsString(request) + "\n").getBytes(StandardCharsets.UTF_8));
        c.out.flush();
        return c;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
