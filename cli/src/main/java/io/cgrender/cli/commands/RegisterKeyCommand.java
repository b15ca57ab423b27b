package io.cgrender.cli.commands;

import io.cgrender.cli.AbstractCommand;
import io.cgrender.cli.Session;
import io.cgrender.core.Json;
import io.cgrender.core.UsageException;
import io.cgrender.core.keys.AuthorizedKeys;
import io.cgrender.core.keys.PublicKeyFile;
import io.cgrender.core.keys.RegisteredKey;
import io.cgrender.core.ui.ShownPath;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

@Command(name = "register-key",
        footer = {"", "Examples:",
                "  cgrender register-key alice               # your ~/.ssh/id_ed25519.pub",
                "  cgrender register-key bob-laptop bob.pub  # a key someone sent you",
                "  cgrender -n /team/ register-key ci ci_ed25519.pub",
                "",
                "Accepted: ed25519, ECDSA, or RSA of 3072 bits or more; the .pub only.",
                "cgrender.keys = [alice, bob-laptop]: boxes authorize only those (default: all)."},
        description = {"Register a public key in the namespace: whoever holds its private key can log in to the"
                + " namespace's boxes, and use them from another machine.",
                "Running boxes authorize it within a minute, new boxes from launch. Prints its fingerprint."})
public final class RegisterKeyCommand extends AbstractCommand {

    /** Where register-key looks for the user's own key when no file is given, in this order. */
    static final List<String> DEFAULT_KEYS = List.of("id_ed25519.pub", "id_ecdsa.pub", "id_rsa.pub");

    @Parameters(index = "0", paramLabel = "NAME",
            description = "The name to register it under: lower-case letters, digits, '.', '_', '-' (e.g. alice).")
    String name;

    @Parameters(index = "1", arity = "0..1", paramLabel = "PUBLIC-KEY-FILE",
            description = "The public key file (default: the first of ~/.ssh/id_ed25519.pub, id_ecdsa.pub,"
                    + " id_rsa.pub).")
    Path file;

    @Override
    protected int execute(Session session) {
        PublicKeyFile.requireName(name);
        Path source = file == null ? defaultKey(session) : session.cwd().resolve(file);
        PublicKeyFile key = PublicKeyFile.read(source);

        Optional<RegisteredKey> same = session.keys().list().stream()
                .filter(k -> k.name().equals(name) && k.fingerprint().equals(key.fingerprint())).findFirst();
        RegisteredKey registered;
        if (same.isPresent()) {
            registered = same.get();
            session.console().status(name + " is registered already with this key");
        } else {
            registered = session.keys().register(name, key.line());
            session.console().status("registered " + name + ": " + registered.type() + " " + registered.fingerprint()
                    + " (from " + ShownPath.of(source, session.cwd()) + ")");
            AuthorizedKeys selection = AuthorizedKeys.from(session.settings());
            if (selection.names().isPresent() && !selection.names().get().contains(name)) {
                session.console().warn("cgrender.keys " + selection.names().get() + " does not name " + name
                        + ": boxes will not authorize it until it does");
            }
            KeyChanges.publish(session, name + "'s key is");
        }
        if (session.options().json()) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("name", registered.name());
            json.put("type", registered.type());
            json.put("fingerprint", registered.fingerprint());
            json.put("added_at", registered.addedAt().toString());
            session.console().out().println(Json.write(json));
        } else {
            session.console().out().println(registered.fingerprint());
        }
        return 0;
    }

    /** The user's own public key: the first of {@link #DEFAULT_KEYS} in {@code ~/.ssh}. */
    private static Path defaultKey(Session session) {
        Path ssh = session.invocation().home().resolve(".ssh");
        for (String candidate : DEFAULT_KEYS) {
            Path path = ssh.resolve(candidate);
            if (Files.exists(path)) {
                session.console().status("no PUBLIC-KEY-FILE given: taking " + ShownPath.of(path, session.cwd())
                        + " (the first of " + String.join(", ", DEFAULT_KEYS) + " in " + ssh + ")");
                return path;
            }
        }
        throw new UsageException("no PUBLIC-KEY-FILE given, and none of " + String.join(", ", DEFAULT_KEYS)
                + " is in " + ssh + "; make a key with ssh-keygen -t ed25519, or give the .pub file to register");
    }
}
