package io.cgrender.core.keys;

import java.util.List;

/**
 * The keys registered in one namespace, kept on the cloud so that every client of the namespace sees the same set
 * (EC2: key pairs tagged with the namespace; local: a key store under the XDG config directory). Boxes of the
 * namespace authorize the namespace's own key plus the registered keys {@code cgrender.keys} selects.
 */
public interface KeyRegistry {

    /**
     * Registers {@code publicKeyLine} as {@code name}; refuses a name that is taken or a key that is registered under
     * another name ({@link io.cgrender.core.UsageException}).
     */
    RegisteredKey register(String name, String publicKeyLine);

    /** The registered keys, by name. */
    List<RegisteredKey> list();

    /** Removes the key registered as {@code name}; false when there is none. */
    boolean remove(String name);
}
