package io.cgrender.core.keys;

import io.cgrender.core.config.Settings;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Which registered keys a namespace's boxes authorize besides the namespace's own key: {@code cgrender.keys}, a list
 * of names where {@code "*"} stands for all.
 *
 * @param names the names selected, or empty for all
 */
public record AuthorizedKeys(Optional<Set<String>> names) {

    public static final String SETTING = "cgrender.keys";
    public static final String ALL = "*";

    public static AuthorizedKeys from(Settings settings) {
        List<String> names = settings.has(SETTING) ? settings.config().getStringList(SETTING) : List.of(ALL);
        return new AuthorizedKeys(names.contains(ALL) ? Optional.empty() : Optional.of(new LinkedHashSet<>(names)));
    }

    /** The registered keys selected, in the registry's order. */
    public List<RegisteredKey> select(List<RegisteredKey> registered) {
        return registered.stream().filter(k -> names.map(n -> n.contains(k.name())).orElse(true)).toList();
    }

    /**
     * The lines of an {@code authorized_keys} file: the namespace's own key (of the client launching or syncing), then
     * the selected registered keys, each once.
     */
    public List<String> lines(String namespaceKeyLine, List<RegisteredKey> registered) {
        Set<String> lines = new LinkedHashSet<>();
        lines.add(namespaceKeyLine.strip());
        select(registered).forEach(k -> lines.add(k.publicKeyLine().strip()));
        return List.copyOf(lines);
    }
}
