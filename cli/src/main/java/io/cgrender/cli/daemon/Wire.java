package io.cgrender.cli.daemon;

import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * The frames front end and daemon exchange on their socket: a type byte, a length and that many bytes. Reading and
 * writing may happen at once from two threads (output one way, an interrupt the other); writes are whole frames.
 * <pre>
 * front end                         daemon
 *   REQUEST (the command line)  →
 *                               ←   ACCEPT, or DECLINE (why) and close
 *   GO                          →       (only now does the command run)
 *                               ←   OUT / ERR (the command's output) …
 *   INTERRUPT (Ctrl-C)          →
 *                               ←   EXIT (the exit code) and close
 *
 *   PING (is this a daemon?)    →
 *                               ←   PONG (its pid) and close
 * </pre>
 */
final class Wire implements AutoCloseable {

    static final byte REQUEST = 'Q';
    static final byte GO = 'G';
    static final byte INTERRUPT = 'I';
    static final byte ACCEPT = 'A';
    static final byte DECLINE = 'D';
    static final byte OUT = 'O';
    static final byte ERR = 'E';
    static final byte EXIT = 'X';
    static final byte PING = 'P';
    static final byte PONG = 'p';

    /** Bigger frames are refused: a peer that sends one is not a cgrender of this build. */
    private static final int MAX_FRAME = 16 << 20;

    /** A frame read. */
    record Frame(byte type, byte[] payload) {
    }

    private final SocketChannel channel;
    private final Object writing = new Object();

    Wire(SocketChannel channel) {
        this.channel = channel;
    }

    void write(byte type, byte[] payload) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(5).put(type).putInt(payload.length).flip();
        ByteBuffer body = ByteBuffer.wrap(payload);
        synchronized (writing) {
            while (header.hasRemaining() || body.hasRemaining()) {
                channel.write(new ByteBuffer[] {header, body});
            }
        }
    }

    void write(byte type) throws IOException {
        write(type, new byte[0]);
    }

    /** The next frame; {@link EOFException} when the peer has closed the connection. */
    Frame read() throws IOException {
        ByteBuffer header = fill(ByteBuffer.allocate(5));
        byte type = header.get();
        int length = header.getInt();
        if (length < 0 || length > MAX_FRAME) {
            throw new IOException("a frame of " + length + " bytes");
        }
        return new Frame(type, fill(ByteBuffer.allocate(length)).array());
    }

    private ByteBuffer fill(ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                throw new EOFException("the connection was closed");
            }
        }
        return buffer.flip();
    }

    /** A stream whose every write is sent at once as one frame of {@code type}. */
    OutputStream stream(byte type) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                if (len > 0) {
                    Wire.this.write(type, java.util.Arrays.copyOfRange(b, off, off + len));
                }
            }
        };
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing more to say to the peer
        }
    }
}
