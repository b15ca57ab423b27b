package io.cgrender.local.host;

import io.cgrender.core.agent.AgentCommand;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The local channel to a box's agent: the directory {@code inbox/} of the box. A client posts a command as one file,
 * {@code <millis>-<random>.msg}, holding one line ({@link AgentCommand#line()}); it is written under a hidden name
 * and renamed into place, so the agent never reads half a message. The agent takes messages in name order (the order
 * they were posted), deleting each as it takes it.
 */
public record Inbox(Path dir) {

    /** A message is one short line; anything longer is not one. */
    static final int MAX_MESSAGE_BYTES = 256;
    private static final String SUFFIX = ".msg";
    private static final SecureRandom RANDOM = new SecureRandom();

    /** What was taken from the inbox: a file's text, or why it could not be read. */
    public record Message(String name, Optional<String> text, Optional<String> unreadable) {
    }

    /** Posts {@code command}. */
    public void post(AgentCommand command) throws IOException {
        Files.createDirectories(dir);
        byte[] random = new byte[6];
        RANDOM.nextBytes(random);
        String name = String.format("%013d-%s", System.currentTimeMillis(), HexFormat.of().formatHex(random));
        Path tmp = Files.createTempFile(dir, ".post-", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.writeString(tmp, command.line() + "\n");
            Files.move(tmp, dir.resolve(name + SUFFIX), StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Takes every message waiting, oldest first: each is read and removed. One that cannot be read (not a regular
     * file, too long, unreadable) is removed too — or, if even that fails, renamed out of the way — and returned with
     * the reason, so that no message can stop the ones after it.
     */
    public List<Message> take() throws IOException {
        Files.createDirectories(dir);
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            entries.forEach(files::add);
        }
        files.removeIf(f -> f.getFileName().toString().startsWith("."));
        files.sort(null);
        List<Message> taken = new ArrayList<>();
        for (Path file : files) {
            String name = file.getFileName().toString();
            Optional<String> text = Optional.empty();
            Optional<String> unreadable = Optional.empty();
            try {
                if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                    unreadable = Optional.of("not a regular file");
                } else {
                    text = Optional.of(readShort(file));
                }
            } catch (IOException e) {
                unreadable = Optional.of(e.toString());
            }
            remove(file);
            taken.add(new Message(name, text, unreadable));
        }
        return taken;
    }

    private static String readShort(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            byte[] bytes = in.readNBytes(MAX_MESSAGE_BYTES + 1);
            if (bytes.length > MAX_MESSAGE_BYTES) {
                throw new IOException("longer than " + MAX_MESSAGE_BYTES + " bytes");
            }
            return new String(bytes, StandardCharsets.US_ASCII);
        }
    }

    private void remove(Path file) throws IOException {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // e.g. a directory that is not empty: moved out of the way, so it is not taken again
            Files.move(file, dir.resolve(".rejected-" + file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
