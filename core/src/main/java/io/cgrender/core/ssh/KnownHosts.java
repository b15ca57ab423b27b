package io.cgrender.core.ssh;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.LockFile;
import io.cgrender.core.ui.Progress;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.ListIterator;
import java.util.Locale;

/**
 * Pinned host keys in an OpenSSH {@code known_hosts} file, one entry per machine under its instance id as host
 * name. System OpenSSH reads the same file with {@code -o UserKnownHostsFile=FILE -o HostKeyAlias=ID
 * -o StrictHostKeyChecking=yes}. Writes are atomic and serialised across processes with a lock file; lines this
 * class did not write (comments, other hosts, hashed names) are kept as they are.
 * <p>
 * As in OpenSSH, a key on a {@code @revoked} line whose host patterns match the alias is refused whatever else the
 * file or the cloud says ({@link #isRevoked}). {@code @cert-authority} lines are never trusted: cgrender pins host
 * keys, it does not accept certificates.
 */
public final class KnownHosts {

    /** How long an update waits for another process updating the file at the same moment. */
    private static final Duration LOCK_TIMEOUT = Duration.ofSeconds(30);

    private final Path file;

    public KnownHosts(Path file) {
        this.file = file;
    }

    public Path file() {
        return file;
    }

    /** The keys pinned for {@code alias}, as OpenSSH key lines ({@code "ssh-ed25519 AAAA…"}); empty if none. */
    public List<String> keysFor(String alias) {
        List<String> keys = new ArrayList<>();
        for (String line : readLines()) {
            Entry entry = Entry.parse(line);
            if (entry != null && entry.names(alias)) {
                keys.add(entry.key());
            }
        }
        return keys;
    }

    /**
     * The keys a {@code known_hosts} file that is not cgrender's (the user's {@code ~/.ssh/known_hosts}) holds for the
     * host name {@code alias} itself, as {@code ssh -o HostKeyAlias=ALIAS} writes them: plain or hashed names, never
     * wildcards, {@code @cert-authority} lines or keys a {@code @revoked} line revokes. Key lines without comment.
     */
    public List<String> keysNamedExactly(String alias) {
        List<String> keys = new ArrayList<>();
        for (String line : readLines()) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length < 3 || fields[0].startsWith("#") || fields[0].startsWith("@")
                    || !HostPatterns.namesExactly(fields[0], alias)) {
                continue;
            }
            String key = fields[1] + " " + fields[2];
            if (!keys.contains(key) && !isRevoked(alias, key)) {
                keys.add(key);
            }
        }
        return keys;
    }

    public boolean isPinned(String alias) {
        return !keysFor(alias).isEmpty();
    }

    /**
     * Whether {@code keyLine} ({@code "ssh-ed25519 AAAA…"}) is on a {@code @revoked} line for {@code alias}: one whose
     * host patterns ({@code *}, {@code ?}, {@code !negation}, hashed names) match it, as OpenSSH reads them.
     */
    public boolean isRevoked(String alias, String keyLine) {
        String key = keyOf(keyLine);
        for (String line : readLines()) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length >= 4 && fields[0].equals("@revoked") && (fields[2] + " " + fields[3]).equals(key)
                    && HostPatterns.match(fields[1], alias)) {
                return true;
            }
        }
        return false;
    }

    /** A line of the file that does not parse as OpenSSH reads it: its number (from 1) and why. */
    public record BadLine(int number, String problem) {
    }

    /**
     * The lines that are neither blank, a comment, nor an entry OpenSSH can read ({@code [@marker] names keytype
     * base64 [comment]}, names plain or hashed) with a key cgrender can read. Such lines pin nothing.
     */
    public List<BadLine> badLines() {
        List<BadLine> bad = new ArrayList<>();
        List<String> lines = readLines();
        for (int i = 0; i < lines.size(); i++) {
            String trimmed = lines.get(i).trim();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            String[] fields = trimmed.split("\\s+");
            int key = fields[0].startsWith("@") ? 2 : 1;
            if (key == 2 && !fields[0].equals("@revoked") && !fields[0].equals("@cert-authority")) {
                bad.add(new BadLine(i + 1, "unknown marker " + fields[0]));
            } else if (fields.length < key + 2) {
                bad.add(new BadLine(i + 1, "not '" + (key == 2 ? "@marker " : "") + "host-names key-type key'"));
            } else {
                try {
                    KeyFiles.parsePublicKeyLine(fields[key] + " " + fields[key + 1]);
                } catch (CgrenderException e) {
                    bad.add(new BadLine(i + 1, e.getMessage()));
                }
            }
        }
        return bad;
    }

    private static String keyOf(String keyLine) {
        String[] fields = keyLine.trim().split("\\s+");
        return fields.length < 2 ? keyLine.trim() : fields[0] + " " + fields[1];
    }

    /** Pins {@code key} for {@code alias}, replacing any key pinned before for that alias. */
    public void pin(String alias, PublicKey key) {
        requireAlias(alias);
        String keyLine = KeyFiles.publicKeyLine(key);
        update(lines -> {
            withoutAlias(lines, alias);
            lines.add(alias + " " + keyLine);
        });
    }

    /**
     * Forgets {@code alias}; forgetting an alias that is not pinned does nothing. A line that also names other hosts
     * keeps them.
     */
    public void remove(String alias) {
        if (!isPinned(alias)) {
            return;
        }
        update(lines -> withoutAlias(lines, alias));
    }

    /** Drops {@code alias} from every plain line naming it: the whole line, or just its name if others share it. */
    private static void withoutAlias(List<String> lines, String alias) {
        for (ListIterator<String> it = lines.listIterator(); it.hasNext(); ) {
            String line = it.next();
            Entry e = Entry.parse(line);
            if (e == null || !e.names(alias)) {
                continue;
            }
            String trimmed = line.trim();
            int end = 0;
            while (!Character.isWhitespace(trimmed.charAt(end))) {
                end++; // a parsed entry has three fields, so whitespace follows the names
            }
            List<String> others = new ArrayList<>();
            for (String name : trimmed.substring(0, end).split(",")) {
                if (!name.equalsIgnoreCase(alias)) {
                    others.add(name);
                }
            }
            if (others.isEmpty()) {
                it.remove();
            } else {
                it.set(String.join(",", others) + trimmed.substring(end));
            }
        }
    }

    private interface Edit {
        void apply(List<String> lines);
    }

    /** Read-modify-write under the file's lock ({@link LockFile}), e.g. several boxes pinning their keys at once. */
    private void update(Edit edit) {
        try {
            Files.createDirectories(file.getParent());
            LockFile.holding(file.resolveSibling(file.getFileName() + ".lock"), LOCK_TIMEOUT, Progress.NONE, () -> {
                List<String> lines = readLines();
                edit.apply(lines);
                Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
                Files.write(tmp, lines);
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                return null;
            });
        } catch (IOException e) {
            throw new CgrenderException("cannot update " + file + ": " + e.getMessage(), e);
        }
    }

    private List<String> readLines() {
        try {
            return Files.exists(file) ? new ArrayList<>(Files.readAllLines(file)) : new ArrayList<>();
        } catch (IOException e) {
            throw new CgrenderException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static void requireAlias(String alias) {
        if (alias == null || !alias.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException("not a usable host-key alias: " + alias);
        }
    }

    /** One plain (unhashed, unmarked) known_hosts line: {@code names keytype base64 [comment]}. */
    private record Entry(List<String> hostNames, String key) {

        static Entry parse(String line) {
            String trimmed = line.trim();
            if (trimmed.isEmpty() || trimmed.startsWith("#") || trimmed.startsWith("@") || trimmed.startsWith("|")) {
                return null;
            }
            String[] fields = trimmed.split("\\s+");
            if (fields.length < 3) {
                return null;
            }
            return new Entry(List.of(fields[0].toLowerCase(Locale.ROOT).split(",")), fields[1] + " " + fields[2]);
        }

        boolean names(String alias) {
            return hostNames.contains(alias.toLowerCase(Locale.ROOT));
        }
    }
}
