package io.cgrender.cli;

import io.cgrender.cli.testroles.HeldBox;
import io.cgrender.core.cloud.Eventually;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One box per role, whatever happens, on the local cloud: concurrent callers in separate processes converge on one
 * box; a create killed at any stage leaves an orphan that gc lists, the next create replaces (or, left imaging, takes
 * back), and that ends itself after the orphan timeout.
 */
class ClaimsEndToEndTest {

    private static final Duration LONG = Duration.ofMinutes(5);
    private static final Pattern STAGE = Pattern.compile("\"id\":\"([^\"]+)\"[^}]*?\"stage\":\"([^\"]+)\"");

    @RegisterExtension
    final Cli cli = new Cli();

    @Test
    void eightConcurrentCallersInAFreshNamespaceEndWithOneBoxAndAllSucceed() throws Exception {
        Path project = cli.root().resolve("project");
        Files.createDirectories(project);
        for (int size = 10; size <= 30; size += 10) {
            Files.writeString(project.resolve("cube" + size + ".scad"), "cube(" + size + ");\n");
        }
        List<CgrenderProcess> callers = new ArrayList<>();
        Map<CgrenderProcess, String> expected = new LinkedHashMap<>();
        try {
            for (int i = 0; i < 3; i++) {
                CgrenderProcess create = start(project, "create-" + i, "create", "openscad-ubuntu-box");
                expected.put(create, "create");
                CgrenderProcess render = start(project, "render-" + i, "render", "cube" + (10 * (i + 1)) + ".scad");
                expected.put(render, "render cube" + (10 * (i + 1)));
            }
            for (int i = 0; i < 2; i++) {
                expected.put(start(project, "run-" + i, "run", "openscad-ubuntu-box", "--", "echo", "run-" + i),
                        "run-" + i);
            }
            callers.addAll(expected.keySet());
            for (CgrenderProcess caller : callers) {
                assertEquals(0, caller.await(LONG), expected.get(caller) + " failed:\n" + caller.output());
            }
        } finally {
            callers.forEach(CgrenderProcess::close);
        }

        List<String> boxes = cli.boxIds();
        assertEquals(1, boxes.size(), "one box: " + boxes);
        String box = boxes.get(0);
        for (Map.Entry<CgrenderProcess, String> caller : expected.entrySet()) {
            String out = caller.getKey().output();
            String what = caller.getValue();
            if (what.equals("create")) {
                assertTrue(out.contains(box + "\n"), "create printed the one box:\n" + out);
            } else if (what.startsWith("run-")) {
                assertTrue(out.contains(what + "\n") && out.contains(box), out);
            } else {
                assertTrue(out.contains("on " + box + " as job"), out);
            }
        }
        for (int size = 10; size <= 30; size += 10) {
            String stl = Files.readString(project.resolve("cube" + size + ".stl"));
            assertTrue(stl.contains("vertex " + size + " " + size + " " + size)
                            || stl.contains(size + " " + size + " " + size),
                    "cube" + size + ".stl is a cube of " + size + ":\n" + stl.lines().limit(12).toList());
        }
        assertTrue(gc().err().contains("nothing left behind"), "no orphan, nothing expired");
    }

    @ParameterizedTest
    @ValueSource(strings = {"launched", "setup", "imaging"})
    void aCreateKilledAtAnyStageLeavesAnOrphanThatGcListsAndTheNextCreateReplaces(String stage) throws Exception {
        String orphan = killCreateAt(stage);

        Cli.Result gc = cli.ok("gc");
        assertTrue(gc.out().lines().anyMatch(l -> l.startsWith("box") && l.contains(orphan) && l.contains("orphan")
                && l.contains("pid ") && l.contains("is gone")), gc.toString());
        assertTrue(cli.ok("list").out().contains("(orphan)"), "list marks it");

        Cli.Result create = cli.ok("create", "held-box");
        List<String> boxes = cli.boxIds();
        assertEquals(1, boxes.size(), boxes + "\n" + create);
        assertEquals(Map.of(boxes.get(0), "ready"), stages());
        if (stage.equals("imaging")) {
            assertTrue(create.err().contains("box " + orphan + " (held-box) was left imaging") && create.err().contains(
                    "marking it ready again"), create.toString());
            assertEquals(List.of(orphan), boxes, "the box that was being imaged is used again");
        } else {
            assertTrue(create.err().contains("box " + orphan + " (held-box) was left ")
                    && create.err().contains(": terminating it"), create.toString());
            assertNotEquals(orphan, boxes.get(0));
        }
        assertEquals(boxes.get(0) + "\n", create.out());
        assertTrue(gc().err().contains("nothing left behind"), "no orphan any more");
    }

    @Test
    void anOrphanEndsItselfAfterTheOrphanTimeoutButNotWhileItsCreatorLives() throws Exception {
        Files.createDirectories(cli.configDir());
        Files.writeString(cli.configDir().resolve("cgrender.conf"), "cgrender.box.orphan-timeout = 2s\n");
        Path log = cli.root().resolve("create.log");
        String id;
        try (CgrenderProcess create = CgrenderProcess.start(cli, cli.root(), log, Map.of(HeldBox.HOLD_AT, "setup"),
                "create", "held-box")) {
            create.awaitWhileAlive(LONG, "setup started", () -> setupStarted().isPresent());
            id = setupStarted().orElseThrow();
            Eventually.holdsFor(Duration.ofSeconds(4), "the box lives while its creator does",
                    () -> cli.boxIds().contains(id));
            create.kill();
        }
        Eventually.await(Duration.ofSeconds(60), "the orphan " + id + " ended itself", () -> cli.boxIds().isEmpty());
        Path dir = cli.stateDir().resolve("local/boxes").resolve(id);
        Eventually.await(Duration.ofSeconds(30), "its directory " + dir + " is gone too", () -> !Files.exists(dir));
    }

    /** Starts {@code create held-box} held at {@code stage}, kills it there, returns the box it left. */
    private String killCreateAt(String stage) throws Exception {
        Path log = cli.root().resolve("create-" + stage + ".log");
        List<String> args = new ArrayList<>(List.of("create", "held-box"));
        if (stage.equals("imaging")) {
            args.add("--image");
        }
        try (CgrenderProcess create = CgrenderProcess.start(cli, cli.root(), log, Map.of(HeldBox.HOLD_AT, stage),
                args.toArray(String[]::new))) {
            switch (stage) {
                case "launched" -> create.awaitWhileAlive(LONG, "the hold after launch",
                        () -> create.output().contains("holding after launch"));
                case "setup" -> create.awaitWhileAlive(LONG, "setup started", () -> setupStarted().isPresent());
                default -> create.awaitWhileAlive(LONG, "imaging", () -> stageFile().containsValue("imaging"));
            }
            create.kill();
            Map<String, String> stages = stageFile();
            assertEquals(1, stages.size(), stages + "\n" + create.output());
            String expected = Map.of("launched", "launching", "setup", "setting-up", "imaging", "imaging").get(stage);
            assertEquals(expected, stages.values().iterator().next(), create.output());
            return stages.keySet().iterator().next();
        }
    }

    private CgrenderProcess start(Path dir, String name, String... args) {
        return CgrenderProcess.start(cli, dir, cli.root().resolve(name + ".log"), Map.of(), args);
    }

    private Cli.Result gc() {
        return cli.ok("gc");
    }

    /** Box id → stage, as {@code list --json} shows them. */
    private Map<String, String> stages() {
        Map<String, String> stages = new LinkedHashMap<>();
        Matcher m = STAGE.matcher(cli.ok("list", "--json").out());
        while (m.find()) {
            stages.put(m.group(1), m.group(2));
        }
        return stages;
    }

    /** Box id → stage, read from the local boxes' state files (no cgrender command: fast enough to poll). */
    private Map<String, String> stageFile() {
        Map<String, String> stages = new LinkedHashMap<>();
        Path boxes = cli.stateDir().resolve("local/boxes");
        if (!Files.isDirectory(boxes)) {
            return stages;
        }
        try (Stream<Path> dirs = Files.list(boxes)) {
            for (Path dir : dirs.toList()) {
                try {
                    for (String line : Files.readAllLines(dir.resolve("box.properties"))) {
                        if (line.startsWith("tag.cgrender\\:stage=")) {
                            stages.put(dir.getFileName().toString(), line.substring(line.indexOf('=') + 1));
                        }
                    }
                } catch (IOException e) {
                    // being written or removed
                }
            }
        } catch (IOException e) {
            return stages;
        }
        return stages;
    }

    /** The box whose held setup has started. */
    private java.util.Optional<String> setupStarted() {
        Path boxes = cli.stateDir().resolve("local/boxes");
        if (!Files.isDirectory(boxes)) {
            return java.util.Optional.empty();
        }
        try (Stream<Path> dirs = Files.list(boxes)) {
            return dirs.filter(d -> Files.exists(d.resolve("home/setup-started"))).map(d -> d.getFileName().toString())
                    .findFirst();
        } catch (IOException e) {
            return java.util.Optional.empty();
        }
    }
}
