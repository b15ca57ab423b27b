package io.cgrender.core.sync;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * How a sync changes the box's manifest: the script that does it (lines appended, or, when it has grown long or is in
 * the old format, the whole manifest rewritten), the manifest's text afterwards and the bytes that travel for it.
 */
record ManifestUpdate(String script, String newText, long bytes) {

    private static final String EOF = "CGRENDER_MANIFEST_END";

    /** @param file the manifest's path on the box, as a shell word */
    static ManifestUpdate of(String file, String text, Manifest manifest, Map<String, Manifest.Entry> entries,
                             int files) {
        StringBuilder delta = new StringBuilder();
        for (String path : manifest.entries().keySet()) {
            if (!entries.containsKey(path)) {
                delta.append("- ").append(path).append('\n');
            }
        }
        entries.forEach((path, entry) -> {
            if (!entry.equals(manifest.entries().get(path))) {
                delta.append(entry.line(path));
            }
        });
        long deltaLines = delta.chars().filter(c -> c == '\n').count();
        if (delta.isEmpty() && (manifest.current() || entries.isEmpty())) {
            return new ManifestUpdate("", text, 0);
        }
        if (!manifest.current() || manifest.lines() + deltaLines > 4L * Math.max(16, files)) {
            String whole = Manifest.render(entries);
            String tmp = file + ".tmp";
            return new ManifestUpdate(write(whole, "> " + tmp, " && mv -f " + tmp + " " + file), whole,
                    whole.getBytes(StandardCharsets.UTF_8).length);
        }
        // A torn last line (an append cut short) must not swallow the first new one.
        String appended = (text.isEmpty() || text.endsWith("\n") ? "" : "\n") + delta;
        return new ManifestUpdate(write(appended, ">> " + file, ""), text + appended,
                appended.getBytes(StandardCharsets.UTF_8).length);
    }

    /** {@code cat REDIRECT} of {@code content} (which ends with a newline) from a here-document, then {@code then}. */
    private static String write(String content, String redirect, String then) {
        return "cat " + redirect + " <<'" + EOF + "'" + then + "\n" + content + EOF + "\n";
    }
}
