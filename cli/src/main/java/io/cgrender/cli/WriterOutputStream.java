package io.cgrender.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Bytes (UTF-8) to a {@link Writer}, flushed after every write so remote output appears as it comes. A multi-byte
 * character split across two writes is kept whole.
 */
public final class WriterOutputStream extends OutputStream {

    private final Writer writer;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    private final ByteBuffer pending = ByteBuffer.allocate(8192);
    private final CharBuffer chars = CharBuffer.allocate(8192);

    public WriterOutputStream(Writer writer) {
        this.writer = writer;
    }

    @Override
    public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
        try {
            int end = off + len;
            while (off < end) {
                int n = Math.min(pending.remaining(), end - off);
                pending.put(b, off, n);
                off += n;
                pending.flip();
                CoderResult result;
                do {
                    result = decoder.decode(pending, chars, false);
                    chars.flip();
                    writer.write(chars.array(), chars.position(), chars.remaining());
                    chars.clear();
                } while (result.isOverflow());
                pending.compact();
            }
            writer.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
