package io.cgrender.cli;

import io.cgrender.testkit.Poll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a new user does: create → reuse → ssh → stop → start → image → recreate → terminate, on the local cloud. */
class LifecycleEndToEndTest {

    @RegisterExtension
    final Cli cli = new Cli();

    @Test
    void openscadBoxCreateTwiceGivesOneBoxThatRendersAndTerminatesCleanly() {
        Cli.Result first = cli.ok("create", "openscad-ubuntu-box");
        String id = first.out().strip();
        assertTrue(id.matches("l-[0-9a-f]{12}"), first.toString());
        assertTrue(first.err().contains("launched box " + id), first.toString());
        assertTrue(first.err().contains("ready to render with OpenSCAD version"), first.toString());
        assertFalse(first.err().contains("$"), "a local box costs nothing: no price line: " + first);

        Cli.Result second = cli.ok("create", "openscad-ubuntu-box");
        assertEquals(id, second.out().strip(), "the ready box is reused");
        assertTrue(second.err().contains("reusing ready box " + id), second.toString());
        assertEquals(List.of(id), cli.boxIds());

        Cli.Result version = cli.ok("ssh", "openscad-ubuntu-box", "--", "openscad", "--version");
        assertTrue((version.out() + version.err()).contains("OpenSCAD version 2021.01"), version.toString());

        Cli.Result list = cli.ok("list");
        String row = list.out().lines().filter(l -> l.startsWith(id)).findFirst().orElseThrow();
        assertTrue(row.contains("openscad-ubuntu-box#0") && row.contains("running") && row.contains("ready")
                && row.contains("127.0.0.1:"), list.toString());
        assertTrue(Poll.until(Duration.ofSeconds(30), () -> cli.ok("list").out().lines().anyMatch(l ->
                l.startsWith(id) && l.matches(".* in (29m[0-9]+s|30m) \\(idle for [0-9]+s\\) +\\$0/h +\\$0"))),
                "the idle timer shows: " + cli.ok("list"));
        Cli.Result show = cli.ok("show", id);
        assertTrue(show.out().contains("idle_timeout_seconds: 1800\nidle: idle\nidle_since: "), show.toString());
        assertTrue(show.out().contains("ends_by: idle timeout"), show.toString());

        cli.ok("terminate", "openscad-ubuntu-box");
        assertEquals(List.of(), cli.boxIds());
        assertFalse(Files.exists(cli.stateDir().resolve("local/boxes").resolve(id)), "box dir removed");
        assertFalse(knownHostsMention(id), "host key pin forgotten");
    }

    @Test
    void fullLifecycleOfAQuickBox() throws IOException {
        String id = cli.ok("create", "echo-box").out().strip();
        Cli.Result exit = cli.run("ssh", id, "--", "exit", "7");
        assertEquals(7, exit.code(), "ssh returns the remote exit code: " + exit);
        assertEquals("setup\n", cli.ok("ssh", "echo-box", "cat", "setup-runs").out());
        assertTrue(knownHostsMention(id), "host key pinned under the box id");

        Cli.Result show = cli.ok("show", "echo-box");
        assertTrue(show.out().contains("id: " + id), show.toString());
        assertTrue(show.out().contains("host_key_fingerprints: SHA256:"), show.toString());
        assertTrue(show.out().contains("HostKeyAlias=" + id), show.toString());

        cli.ok("stop", "echo-box");
        assertTrue(cli.ok("list").out().lines().anyMatch(l -> l.startsWith(id) && l.contains("stopped")));
        Cli.Result whileStopped = cli.run("ssh", "echo-box", "--", "true");
        assertEquals(1, whileStopped.code(), whileStopped.toString());
        List<String> lines = whileStopped.err().lines().toList();
        assertEquals(2, lines.size(), whileStopped.toString());
        assertTrue(lines.get(0).startsWith("error: ") && lines.get(0).contains(id + " is stopped"), lines.get(0));
        assertEquals("fix: cgrender start " + id, lines.get(1));

        String pinnedBefore = knownHosts();
        cli.ok("start", "echo-box");
        assertEquals(pinnedBefore, knownHosts(), "the host key survives stop/start");
        assertEquals("setup\n", cli.ok("ssh", "echo-box", "--", "cat", "setup-runs").out(), "the disk survives");

        String image = cli.ok("image", "echo-box").out().strip();
        Cli.Result images = cli.ok("list-images", "echo-box");
        assertTrue(images.out().lines().anyMatch(l -> l.startsWith(image) && l.contains(" 2 ")),
                "generation 1 is the image baked after the setup: " + images);

        Cli.Result recreated = cli.ok("recreate", "echo-box");
        String second = recreated.out().strip();
        assertNotEquals(id, second);
        assertFalse(recreated.err().contains("setting up"), "setup skipped: " + recreated);
        assertEquals("setup\n", cli.ok("ssh", second, "--", "cat", "setup-runs").out(), "the image's files are there");

        Cli.Result ambiguous = cli.run("ssh", "echo-box", "--", "true");
        assertEquals(2, ambiguous.code(), ambiguous.toString());
        assertTrue(ambiguous.err().contains("echo-box#0 (" + id) && ambiguous.err().contains("echo-box#1 (" + second),
                ambiguous.toString());
        assertEquals(0, cli.run("ssh", "echo-box#-1", "--", "true").code());

        cli.ok("terminate", "echo-box#0");
        cli.ok("terminate", second);
        assertEquals(List.of(), cli.boxIds());
        cli.ok("delete-image", image);
        imageIds().forEach(baked -> cli.ok("delete-image", baked));
        assertEquals("", cli.ok("list-images").out());
    }

    @Test
    void newBoxesLaunchFromTheNewestCurrentImageWithStateOfTheirOwnAndBakingKeepsTwoGenerations() throws IOException {
        Cli.Result first = cli.ok("create", "echo-box");
        String id = first.out().strip();
        assertTrue(first.err().contains("setting up from scratch: no image of echo-box yet"), first.toString());
        assertTrue(first.err().contains("setting up " + id), first.toString());
        String baked = single(imageIds());
        assertTrue(first.err().contains("baking image " + baked + " of " + id + " (echo-box, generation 1, available)"),
                first.toString());
        assertTrue(cli.ok("list-images").out().lines().anyMatch(l -> l.startsWith(baked) && l.contains(" available ")
                && l.contains(" current ")), cli.ok("list-images").toString());

        // What the box does after its setup is its own: kept, a job record, an upload, an after-job order.
        cli.ok("ssh", id, "--", "cgrender-box", "keep");
        cli.ok("run", "echo-box", "--", "touch", "made-by-a-job");
        String imaged = cli.ok("image", id).out().strip();
        cli.ok("terminate", id);

        Instant before = Instant.now();
        Cli.Result again = cli.ok("create", "echo-box");
        String copy = again.out().strip();
        assertTrue(again.err().contains("launching from image " + imaged + " (generation 2), no setup needed"),
                again.toString());
        assertFalse(again.err().contains("setting up"), "setup did not run: " + again);
        assertEquals("setup\n", cli.ok("ssh", copy, "--", "cat", "setup-runs").out(), "the image's files are there");
        assertEquals("null", show(copy, "kept_since"), "the imaged box's keep stays with it");
        assertFalse(Instant.parse(show(copy, "expires_at")).isBefore(before.plus(Duration.ofHours(8))),
                "an expiry of its own, 8h from its launch: " + show(copy, "expires_at"));
        String idleSince = show(copy, "idle_since");
        assertTrue(idleSince.equals("null") || !Instant.parse(idleSince).isBefore(before.minusSeconds(1)),
                "its own idle timer (busy now, or idle since after its launch): " + idleSince);
        assertFalse(Files.exists(cli.boxDir(copy).resolve("home/.cgrender/jobs")), "no job records of the other box");
        assertTrue(Files.exists(cli.boxDir(copy).resolve("home/made-by-a-job")), "but what the job made, as imaged");
        assertTrue(Files.size(cli.boxDir(copy).resolve("authorized_keys")) > 0, "keys written at its own launch");
        cli.ok("terminate", copy);

        // --fresh sets up from scratch; each from-scratch setup bakes; the newest two generations are kept.
        for (int i = 0; i < 2; i++) {
            Cli.Result fresh = cli.ok("create", "echo-box", "--new", "--fresh");
            assertTrue(fresh.err().contains("setting up from scratch: images are not used (--fresh")
                    && fresh.err().contains("setting up l-"), fresh.toString());
            cli.ok("terminate", fresh.out().strip());
        }
        List<String> kept = imageIds();
        assertEquals(2, kept.size(), cli.ok("list-images").toString());
        assertFalse(kept.contains(baked) || kept.contains(imaged), "generations 1 and 2 are deleted: " + kept);
        assertTrue(cli.ok("list-images").out().contains(" 4 "), cli.ok("list-images").toString());

        // Images of another version of the role are not used, and say so.
        String hash = "0123456789abcdef";
        for (String image : kept) {
            Path properties = cli.root().resolve("data/cgrender/local/images").resolve(image).resolve("image.properties");
            Files.writeString(properties, Files.readString(properties)
                    .replaceAll("(?m)^tag\\.cgrender\\\\:setup-hash=.*$", "tag.cgrender\\\\:setup-hash=" + hash));
        }
        assertTrue(cli.ok("list-images").out().contains(" stale (" + hash + ") "), cli.ok("list-images").toString());
        Path manual = Files.writeString(cli.root().resolve("manual.conf"), "cgrender.images.bake = manual\n");
        Cli.Result stale = cli.ok("-c", manual.toString(), "create", "echo-box", "--new");
        assertTrue(stale.err().contains("setting up from scratch: image " + kept.get(0) + " was made by another version"
                + " of echo-box (setup " + hash + ", now "), stale.toString());
        assertTrue(stale.err().contains("setting up l-"), stale.toString());
        assertFalse(stale.err().contains("baking"), "bake = manual bakes nothing: " + stale);
        assertEquals(kept, imageIds());
    }

    @Test
    void createCountMakesSeveralAndNewSkipsReuse() {
        Cli.Result two = cli.ok("create", "echo-box", "--count", "2");
        assertEquals(2, two.out().lines().count(), two.toString());
        String third = cli.ok("create", "echo-box", "--new").out().strip();
        assertEquals(3, cli.boxIds().size());
        assertTrue(cli.boxIds().contains(third));
    }

    @Test
    void namespacesDoNotSeeEachOther() {
        String a = cli.ok("-n", "/team-a/", "create", "echo-box").out().strip();
        assertEquals(List.of(), cli.boxIds("-n", "/team-b/"));
        Cli.Result other = cli.run("-n", "/team-b/", "terminate", a);
        assertEquals(2, other.code(), other.toString());
        assertEquals(List.of(a), cli.boxIds("-n", "/team-a/"));
    }

    @Test
    void rsyncCopiesThroughThePinnedSsh() throws IOException {
        cli.ok("create", "echo-box");
        Path dir = Files.createDirectories(cli.root().resolve("upload"));
        Files.writeString(dir.resolve("model.scad"), "cube(1);\n");
        Cli.Result rsync = cli.run("rsync", "echo-box", "-a", dir + "/", ":models/");
        assertEquals(0, rsync.code(), rsync.toString());
        assertEquals("cube(1);\n", cli.ok("ssh", "echo-box", "--", "cat", "models/model.scad").out());
    }

    @Test
    void gcFindsAnExpiredStoppedBoxAndRemovesItOnlyWithYes() throws Exception {
        // long enough for the stop to come first on a loaded machine: a running box would end itself at its expiry
        Path conf = Files.writeString(cli.root().resolve("short.conf"), "cgrender.box.max-lifetime = 8s\n");
        String id = cli.ok("-c", conf.toString(), "create", "echo-box").out().strip();
        cli.ok("stop", id);
        java.time.Instant deadline = java.time.Instant.now().plusSeconds(30);
        Cli.Result listed = cli.ok("gc");
        while (!listed.out().contains(id) && java.time.Instant.now().isBefore(deadline)) {
            new java.util.concurrent.CountDownLatch(1).await(200, java.util.concurrent.TimeUnit.MILLISECONDS);
            listed = cli.ok("gc");
        }
        assertTrue(listed.out().lines().anyMatch(l -> l.startsWith("box") && l.contains(id) && l.contains("expired")),
                listed.toString());
        assertTrue(listed.err().contains("cgrender gc --yes"), listed.toString());
        assertEquals(List.of(id), cli.boxIds(), "listing removes nothing");
        Cli.Result removed = cli.ok("gc", "--yes");
        assertTrue(removed.err().contains("removed box " + id), removed.toString());
        assertEquals(List.of(), cli.boxIds());
        assertFalse(knownHostsMention(id), "the removed box's host key pin is gone too");
    }

    /** The namespace's images, newest first. */
    private List<String> imageIds() {
        return cli.ok("list-images").out().lines().skip(1).map(l -> l.split("\\s+")[0]).toList();
    }

    private static String single(List<String> ids) {
        assertEquals(1, ids.size(), ids.toString());
        return ids.get(0);
    }

    private String show(String id, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":(\"([^\"]*)\"|null|true|false|\\d+)")
                .matcher(cli.ok("--json", "show", id).out());
        assertTrue(m.find(), name + " of " + id);
        return m.group(2) != null ? m.group(2) : m.group(1);
    }

    private boolean knownHostsMention(String id) {
        return knownHosts().lines().anyMatch(l -> l.startsWith(id + " "));
    }

    private String knownHosts() {
        try {
            Path file = cli.configDir().resolve("known_hosts");
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
