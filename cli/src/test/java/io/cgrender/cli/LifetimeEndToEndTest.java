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
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The lifetime of a box as users control it, on the local cloud with real box hosts: {@code create --lifetime} and
 * {@code --no-expiry}, {@code cgrender extend}, and {@code cgrender-box} run on the box over {@code cgrender ssh}, with
 * what {@code list} and {@code show} then say and what the box's watchdog then does.
 */
class LifetimeEndToEndTest {

    @RegisterExtension
    final Cli cli = new Cli();

    private static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":(\"([^\"]*)\"|null|true|false|\\d+)").matcher(json);
        assertTrue(m.find(), name + " in " + json);
        return m.group(2) != null ? m.group(2) : m.group(1);
    }

    private String show(String id, String name) {
        return field(cli.ok("--json", "show", id).out(), name);
    }

    private Path config(String text) throws IOException {
        Path conf = cli.root().resolve("lifetime.conf");
        Files.writeString(conf, text);
        return conf;
    }

    @Test
    void aKeptBoxOutlivesItsLifetimeAndItsIdleTimeoutAndEndsAfterItsRelease() throws IOException {
        String conf = config("cgrender.box.idle-timeout = 8s\n").toString();
        String id = cli.ok("-c", conf, "create", "echo-box", "--lifetime", "15s").out().strip();
        Instant expiry = Instant.parse(show(id, "expires_at"));
        assertEquals("15", show(id, "max_lifetime_seconds"));

        Cli.Result keep = cli.ok("ssh", id, "--", "cgrender-box", "keep");
        assertTrue(keep.out().startsWith("box " + id + " is kept (since "), keep.toString());
        assertFalse(show(id, "kept_since").equals("null"), "the client sees the keep");
        assertTrue(cli.ok("list").out().lines().anyMatch(l -> l.startsWith(id) && l.contains("kept (for ")),
                cli.ok("list").out());

        // past its expiry and idle for longer than its idle timeout: kept, it runs on
        assertTrue(Poll.until(Duration.ofSeconds(90), () -> Instant.now().isAfter(expiry.plusSeconds(5))));
        assertEquals("running", show(id, "state"));
        Cli.Result gc = cli.ok("gc");
        assertFalse(gc.out().contains(id), "gc leaves a kept box: " + gc);
        Cli.Result extendKept = cli.ok("extend", id, "1h");
        assertTrue(extendKept.out().contains("is kept") && extendKept.out().contains("nothing to extend"),
                extendKept.toString());

        Instant released = Instant.now();
        Cli.Result release = cli.ok("ssh", id, "--", "cgrender-box", "release");
        assertTrue(release.out().startsWith("box " + id + " now ends itself at "), release.toString());
        assertEquals("null", cli.run("--json", "show", id).code() == 0 ? show(id, "kept_since") : "null");
        assertTrue(Poll.until(Duration.ofSeconds(90), () -> !cli.boxIds().contains(id)),
                "released, it ends itself once idle: " + cli.ok("list").out());
        assertFalse(Instant.now().isBefore(released.plusSeconds(8)), "not before its idle timeout from the release");
    }

    @Test
    void extendFromTheClientAndFromInsideTheBoxMovesTheExpiryAtMostTheLifetimeFromNow() {
        String id = cli.ok("create", "echo-box", "--lifetime", "1h").out().strip();
        Instant before = Instant.parse(show(id, "expires_at"));
        // a few seconds into its life, so that its max lifetime from now is later than its expiry
        assertTrue(Poll.until(Duration.ofSeconds(10), () -> Instant.now().isAfter(before.minus(Duration.ofHours(1))
                .plusSeconds(3))));

        Cli.Result extended = cli.ok("extend", id, "2h");
        Instant after = Instant.parse(show(id, "expires_at"));
        assertTrue(after.isAfter(before) && !after.isAfter(Instant.now().plus(Duration.ofHours(1))),
                before + " -> " + after);
        assertTrue(extended.out().matches("box " + id + " now ends itself at \\S+Z at the latest \\(at most its max"
                + " lifetime, 1h, from now\\)\n"), extended.toString());

        Cli.Result inside = cli.ok("ssh", id, "--", "cgrender-box", "extend", "90m");
        assertTrue(inside.out().startsWith("box " + id + " "), inside.toString());
        Cli.Result status = cli.ok("ssh", id, "--", "cgrender-box", "status");
        assertTrue(status.out().contains("box:         " + id) && status.out().contains("role:        echo-box")
                && status.out().contains("namespace:   /tester/"), status.toString());

        cli.ok("stop", id);
        Cli.Result stopped = cli.run("extend", id, "1h");
        assertEquals(1, stopped.code(), stopped.toString());
        assertEquals(List.of("error: box " + id + " (echo-box) is stopped: its agent takes commands only while it"
                + " runs", "fix: cgrender start " + id), stopped.err().lines().toList());
    }

    @Test
    void aBoxWithNoExpiryHasOnlyItsIdleTimer() {
        String id = cli.ok("create", "echo-box", "--no-expiry").out().strip();
        assertEquals("null", show(id, "expires_at"));
        assertEquals("true", show(id, "no_expiry"));
        // busy, unreported or idle: the ENDS column says it has no max lifetime (a local box costs nothing)
        assertTrue(cli.ok("list").out().lines().anyMatch(l -> l.startsWith(id) && l.contains("no expiry")
                && l.matches(".* \\$0/h +\\$0")), cli.ok("list").out());
        Cli.Result extend = cli.ok("extend", id, "1h");
        assertEquals("box " + id + " has no expiry: it ends itself when idle for 30m; nothing to extend\n",
                extend.out());
        assertEquals("null", show(id, "expires_at"));
    }

    @Test
    void badLifetimesAndDurationsExitTwoAndChangeNothing() {
        Cli.Result both = cli.run("create", "echo-box", "--lifetime", "2h", "--no-expiry");
        assertEquals(2, both.code(), both.toString());
        assertTrue(both.err().startsWith("error: --lifetime and --no-expiry contradict each other"), both.toString());
        for (String bad : List.of("soon", "0s", "2x", "PT")) {
            Cli.Result r = cli.run("create", "echo-box", "--lifetime", bad);
            assertEquals(2, r.code(), bad + ": " + r);
            assertTrue(r.err().lines().anyMatch(l -> l.startsWith("fix: give ")), r.toString());
        }
        assertEquals(List.of(), cli.boxIds(), "nothing was launched");

        String id = cli.ok("create", "echo-box").out().strip();
        String expiry = show(id, "expires_at");
        for (String bad : List.of("soon", "0m", "1h30")) {
            Cli.Result r = cli.run("extend", id, bad);
            assertEquals(2, r.code(), bad + ": " + r);
            assertEquals(List.of("error: '" + bad + "' is " + (bad.equals("0m") ? "no positive duration"
                    : "not a duration") + " (how much later the box should end)"), r.err().lines().limit(1).toList());
            assertTrue(r.err().lines().skip(1).findFirst().orElse("").startsWith("fix: give "), r.toString());
        }
        assertEquals(2, cli.run("extend", id).code(), "no duration");
        assertEquals(expiry, show(id, "expires_at"), "unchanged");
        Cli.Result reused = cli.ok("create", "echo-box", "--lifetime", "1h");
        assertEquals(id + "\n", reused.out());
        assertTrue(reused.err().contains("--lifetime and --no-expiry apply to new boxes only"), reused.toString());
        assertEquals(expiry, show(id, "expires_at"), "a reused box keeps its end");
    }
}
