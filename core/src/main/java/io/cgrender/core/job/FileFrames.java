package io.cgrender.core.job;

import io.cgrender.core.os.FileModes;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Files a command on the box sends in its output, among text: each as a line {@code ::file SIZE MODE PATH} (MODE in
 * octal) followed by exactly SIZE bytes ({@link #SEND} is the box's side). Each file asked for is written, as it
 * arrives, into a temporary file beside where it goes, and {@link #take taken} into place later; files not asked for
 * are skipped, and the text is kept ({@link #text}). Whatever was received but never taken goes with {@link #close}.
 */
final class FileFrames extends OutputStream {

    /**
     * The box's side, a shell function: {@code send_files PATH...} frames each of the paths that is a regular file.
     * GNU {@code stat}; {@code head -c} sends exactly the size announced (the files have stopped changing).
     */
    static final String SEND = "send_files() { local f s; for f in \"$@\"; do [ -f \"$f\" ] || continue;"
            + " s=\"$(stat -c '%s %a' -- \"$f\")\" || continue; printf '::file %s %s\\n' \"$s\" \"$f\";"
            + " head -c \"${s% *}\" -- \"$f\"; done; }";

    private static final String HEADER = "::file ";

    private final Map<String, Path> wanted;
    private final Map<String, Received> received = new LinkedHashMap<>();
    private final ByteArrayOutputStream text = new ByteArrayOutputStream();
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    /** The file arriving now and where its bytes go; null between files and for files not asked for. */
    private Received current;
    private OutputStream currentOut;
    private long left;
    private IOException failure;

    /** A file that arrived (or is arriving) in {@code partial}, with the mode it had on the box. */
    private record Received(Path partial, Path target, int mode) {
    }

    /** @param wanted the box paths to keep (as the box names them) → where each goes */
    FileFrames(Map<String, Path> wanted) {
        this.wanted = Map.copyOf(wanted);
    }

    /** The output that was no file, as text (a last line without its newline too). */
    synchronized String text() {
        return text.toString(StandardCharsets.UTF_8) + line.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
        int end = off + len;
        int i = off;
        while (i < end) {
            if (left > 0) {
                int n = (int) Math.min(left, end - i);
                body(b, i, n);
                i += n;
                continue;
            }
            int newline = i;
            while (newline < end && b[newline] != '\n') {
                newline++;
            }
            line.write(b, i, newline - i);
            if (newline == end) {
                return;
            }
            i = newline + 1;
            endOfLine();
        }
    }

    private void endOfLine() {
        String l = line.toString(StandardCharsets.UTF_8);
        line.reset();
        String[] header = l.startsWith(HEADER) ? l.substring(HEADER.length()).split(" ", 3) : new String[0];
        if (header.length != 3 || !header[0].matches("[0-9]{1,18}") || !header[1].matches("[0-7]{1,4}")) {
            text.writeBytes((l + "\n").getBytes(StandardCharsets.UTF_8));
            return;
        }
        left = Long.parseLong(header[0]);
        Path target = wanted.get(header[2]);
        if (target != null && failure == null) {
            try {
                Path dir = target.toAbsolutePath().getParent();
                Files.createDirectories(dir);
                Received before = received.remove(header[2]);
                if (before != null) {
                    Files.deleteIfExists(before.partial());
                }
                current = new Received(Files.createTempFile(dir, "." + target.getFileName() + ".", ".part"), target,
                        Integer.parseInt(header[1], 8));
                received.put(header[2], current);
                currentOut = Files.newOutputStream(current.partial());
            } catch (IOException e) {
                failure = e;
            }
        }
        if (left == 0) {
            endOfFile();
        }
    }

    private void body(byte[] b, int off, int n) {
        left -= n;
        if (currentOut != null && failure == null) {
            try {
                currentOut.write(b, off, n);
            } catch (IOException e) {
                failure = e;
            }
        }
        if (left == 0) {
            endOfFile();
        }
    }

    private void endOfFile() {
        if (currentOut != null) {
            try {
                currentOut.close();
            } catch (IOException e) {
                failure = failure == null ? e : failure;
            }
        }
        currentOut = null;
        current = null;
    }

    /** Whether {@code remote} arrived whole and waits to be taken. */
    private boolean has(String remote) {
        Received r = received.get(remote);
        return failure == null && r != null && r != current;
    }

    /**
     * Moves the file the box sent as {@code remote} to {@code target}, atomically, with the permissions a download
     * gets ({@link FileModes#downloaded}); false if it did not arrive whole, or was asked for another place.
     *
     * @throws IOException if it arrived but could not be put in place
     */
    synchronized boolean take(String remote, Path target) throws IOException {
        if (!has(remote) || !received.get(remote).target().equals(target)) {
            return false;
        }
        Received r = received.remove(remote);
        try {
            Files.setPosixFilePermissions(r.partial(), FileModes.downloaded(r.mode()));
            Files.move(r.partial(), r.target(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            Files.deleteIfExists(r.partial());
            throw e;
        }
        return true;
    }

    /** Removes what was received and not taken, a file cut short too. */
    @Override
    public synchronized void close() {
        endOfFile();
        for (Received r : received.values()) {
            try {
                Files.deleteIfExists(r.partial());
            } catch (IOException e) {
                // a temporary file by a name of its own; nothing else depends on it
            }
        }
        received.clear();
    }
}
