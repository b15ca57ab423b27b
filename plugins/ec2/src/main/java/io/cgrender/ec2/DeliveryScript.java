package io.cgrender.ec2;

import io.cgrender.core.Json;
import io.cgrender.core.delivery.DeliveryJob;
import io.cgrender.core.ssh.Shell;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The script of a job whose box delivers its results: it writes what the delivery needs into the job's
 * {@code delivery/} directory (heredocs: no file travels separately), runs the job's own command, then hands its exit
 * code to {@code deliver.sh}, which stores everything in S3, mails, and cleans up (see that script). On a spot
 * instance {@code spot-watch.sh} runs beside the command: on EC2's interruption notice it stops the command, and the
 * delivery stores what had finished, saying the job was interrupted.
 */
final class DeliveryScript {

    static final String DELIVER = resource("deliver.sh");
    static final String SPOT_WATCH = resource("spot-watch.sh");

    /** How the box stores: with its instance profile and the AWS CLI, or with presigned URLs and curl. */
    enum Mode {
        INSTANCE_PROFILE, PRESIGNED;

        String word() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    /** One file the box may store, with its presigned upload URL (presigned mode) and download link. */
    record Upload(String name, String putUrl, String link) {
    }

    private final Map<String, String> env = new LinkedHashMap<>();
    private final List<String> files = new ArrayList<>();
    private final List<String> cache = new ArrayList<>();
    private final Map<String, String> cacheEntries = new LinkedHashMap<>();
    private final DeliveryJob job;
    private final boolean spot;
    private String manifestHead = "{";

    /** @param spot the job runs on a spot instance, which EC2 may reclaim: the script watches for the notice */
    DeliveryScript(DeliveryJob job, boolean spot) {
        this.job = job;
        this.spot = spot;
    }

    DeliveryScript set(String name, String value) {
        if (!name.matches("[a-z_]+")) {
            throw new IllegalArgumentException("not a shell variable name: " + name);
        }
        env.put(name, value);
        return this;
    }

    /** An output: stored when the command that makes it (its exit file) succeeded. */
    DeliveryScript file(DeliveryJob.File file, Upload upload) {
        files.add(line(file.name(), file.remote(), file.exitFile(), upload.putUrl(), upload.link()));
        return this;
    }

    /**
     * A render-cache entry: {@code content} stored at {@code key} once its files are, with each
     * {@link S3ResultStore#hashOf} placeholder replaced by the SHA-256 of the file the box stored.
     */
    DeliveryScript cacheEntry(DeliveryJob.CacheEntry entry, String key, String putUrl, String content) {
        int index = cache.size();
        cache.add(line(Integer.toString(index), key, entry.exitFile(), putUrl,
                String.join(" ", entry.names().values())));
        cacheEntries.put("cache-" + index + ".json", content);
        return this;
    }

    /** The manifest as the client knows it; the box completes it. */
    DeliveryScript manifest(Map<String, Object> known) {
        String json = Json.write(known);
        manifestHead = json.substring(0, json.length() - 1);
        return this;
    }

    /** The job's script: write the delivery's files, run the command, deliver. */
    String script() {
        String dir = "$HOME/" + job.jobDir();
        String marker = "CGRENDER_EOF_" + HexFormat.of().formatHex(new SecureRandom().generateSeed(8));
        Map<String, String> content = new LinkedHashMap<>();
        StringBuilder vars = new StringBuilder();
        env.forEach((k, v) -> vars.append(k).append('=').append(Shell.quote(v)).append('\n'));
        content.put("env", vars.toString());
        content.put("files.tsv", lines(files));
        content.put("cache.tsv", lines(cache));
        content.putAll(cacheEntries);
        content.put("manifest-head.json", manifestHead);
        content.put("working.txt", lines(job.workingDirs()));
        content.put("render.sh", job.command());
        content.put("deliver.sh", DELIVER);
        if (spot) {
            content.put("spot-watch.sh", SPOT_WATCH);
        }
        StringBuilder s = new StringBuilder();
        s.append("# cgrender job ").append(job.jobId()).append(": the render, then the delivery of its results\n");
        s.append("cgrender_job=\"").append(dir).append("\"\n");
        s.append("mkdir -p \"$cgrender_job/delivery\" || exit 1\n");
        for (Map.Entry<String, String> e : content.entrySet()) {
            if (e.getValue().contains(marker)) {
                throw new IllegalStateException("the heredoc marker occurs in " + e.getKey());
            }
            s.append("cat > \"$cgrender_job/delivery/").append(e.getKey()).append("\" <<'").append(marker)
                    .append("'\n").append(e.getValue());
            if (!e.getValue().endsWith("\n")) {
                s.append('\n');
            }
            s.append(marker).append('\n');
        }
        s.append("cgrender_started=\"$(date -u +%s)\"\n");
        s.append(spot ? WATCHED_RENDER : "bash \"$cgrender_job/delivery/render.sh\"\ncgrender_code=$?\n");
        s.append("exec bash \"$cgrender_job/delivery/deliver.sh\" \"$cgrender_job\" \"$cgrender_code\""
                + " \"$cgrender_started\"\n");
        return s.toString();
    }

    /**
     * The render with the spot watch beside it. The watch's SIGTERM to the job's process group stops the render; this
     * shell, in the same group, ignores it once the watch has recorded the notice (a cancel still ends it) and goes
     * on waiting for the render, then stops the watch and delivers.
     */
    private static final String WATCHED_RENDER = String.join("\n",
            "trap '[ -f \"$cgrender_job/interrupted\" ] || exit 143' TERM",
            "bash \"$cgrender_job/delivery/render.sh\" &",
            "cgrender_render=$!",
            "bash \"$cgrender_job/delivery/spot-watch.sh\" \"$cgrender_job\" \"$cgrender_render\" &",
            "cgrender_watch=$!",
            "wait \"$cgrender_render\"",
            "cgrender_code=$?",
            "while kill -0 \"$cgrender_render\" 2>/dev/null; do wait \"$cgrender_render\"; cgrender_code=$?; done",
            "kill \"$cgrender_watch\" 2>/dev/null",
            "wait \"$cgrender_watch\" 2>/dev/null",
            "trap - TERM", "");

    /** Fields separated by tabs; bash's read joins adjacent tabs, so an empty field is written as {@code -}. */
    private static String line(String... fields) {
        List<String> out = new ArrayList<>();
        for (String f : fields) {
            if (f.contains("\t") || f.contains("\n")) {
                throw new IllegalArgumentException("a tab or newline in a delivery field: " + f);
            }
            out.add(f.isEmpty() ? "-" : f);
        }
        return String.join("\t", out);
    }

    private static String lines(List<String> lines) {
        return lines.isEmpty() ? "" : String.join("\n", lines) + "\n";
    }

    private static String resource(String name) {
        try (InputStream in = DeliveryScript.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
