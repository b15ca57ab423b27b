package io.cgrender.core.ssh;

import io.cgrender.core.ns.Namespace;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A process that loads (or makes) a namespace's key, as {@code cgrender} does, and prints its fingerprint and whether
 * the {@code .pub} next to it holds the same key: {@code LoadNamespaceKey KEYS-DIR NAMESPACE}.
 */
public final class LoadNamespaceKey {

    private LoadNamespaceKey() {
    }

    public static void main(String[] args) throws Exception {
        NamespaceKey key = NamespaceKey.loadOrCreate(Path.of(args[0]), Namespace.parse(args[1], "tester"));
        String pub = Files.readString(KeyFiles.publicKeyFile(key.privateKeyFile())).strip();
        System.out.println("fingerprint " + key.fingerprint());
        System.out.println("pub " + (pub.startsWith(key.publicKeyLine() + " ") ? "matches" : "differs: " + pub));
    }
}
