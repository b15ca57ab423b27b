package io.cgrender.cli;

import io.cgrender.core.cloud.Eventually;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Several cgrender processes rendering one model on one box at once, as several terminals or a script would: each
 * render gets its own result, as its {@code -D}, parameter set and format say, and none fails.
 */
class SharedBoxEndToEndTest {

    @RegisterExtension
    final Cli cli = new Cli();

    /** One concurrent client: what it asks for and the extents ({@code x y z}) its result must have. */
    private record Client(String name, List<String> options, Path output, double size) {
    }

    @Test
    void concurrentRendersOfOneModelOnOneBoxEachGetTheirOwnResult() throws Exception {
        Path project = Files.createDirectories(cli.root().resolve("project/lib"));
        Files.writeString(project.resolve("shape.scad"), "module block(s) { cube([s, 2 * s, 3 * s]); }\n");
        Path dir = project.getParent();
        Files.writeString(dir.resolve("block.scad"), "include <lib/shape.scad>\nsize = 1;\nblock(size);\n");
        Files.writeString(dir.resolve("block.json"), "{\"fileFormatVersion\": \"1\", \"parameterSets\":"
                + " {\"big\": {\"size\": \"6\"}}}\n");
        String box = cli.ok("create", "openscad-ubuntu-box").out().strip();
        List<Client> clients = List.of(
                client(dir, "two", 2, "stl", "-D", "size=2"),
                client(dir, "two-again", 2, "stl", "-D", "size=2"),
                client(dir, "three", 3, "stl", "-D", "size=3"),
                client(dir, "four-off", 4, "off", "-D", "size=4", "-f", "off"),
                new Client("big-set", List.of("-p", "block.json", "-P", "big", "-o", "out-big-set"),
                        dir.resolve("out-big-set/block-big.stl"), 6));

        List<Process> running = new ArrayList<>();
        try {
            for (Client c : clients) {
                List<String> args = new ArrayList<>(List.of("render", "block.scad", "--no-cache"));
                args.addAll(c.options());
                running.add(cli.start(dir, cli.root().resolve(c.name() + ".log"), args.toArray(String[]::new)));
            }
            for (int i = 0; i < clients.size(); i++) {
                Client c = clients.get(i);
                assertTrue(running.get(i).waitFor(300, TimeUnit.SECONDS), c.name() + " ends");
                assertEquals(0, running.get(i).exitValue(), c.name() + ":\n" + log(c));
            }
        } finally {
            running.forEach(Process::destroyForcibly);
        }
        for (Client c : clients) {
            assertEquals(List.of(c.size(), 2 * c.size(), 3 * c.size()), extents(c.output()),
                    c.name() + "'s result has the size it asked for; its log:\n" + log(c));
        }
        Path home = cli.boxDir(box).resolve("home");
        try (Stream<Path> jobs = Files.list(home.resolve(".cgrender/jobs"))) {
            List<Path> dirs = jobs.toList();
            assertEquals(clients.size(), dirs.size(), "one job each");
            Eventually.await(Duration.ofSeconds(30), "each job removed its own inputs",
                    () -> dirs.stream().noneMatch(d -> Files.exists(d.resolve("in"))));
        }
        try (Stream<Path> caches = Files.list(home.resolve(".cgrender/work"))) {
            assertEquals(1, caches.filter(Files::isDirectory).count(), "all of them synced into the model's one"
                    + " upload cache");
        }
    }

    private static Client client(Path dir, String name, double size, String format, String... options) {
        List<String> all = new ArrayList<>(List.of(options));
        all.addAll(List.of("-o", "out-" + name));
        return new Client(name, all, dir.resolve("out-" + name).resolve("block." + format), size);
    }

    private String log(Client c) throws IOException {
        return Files.readString(cli.root().resolve(c.name() + ".log"));
    }

    /** The largest x, y and z of the mesh's vertices (an ASCII STL or an OFF file). */
    private static List<Double> extents(Path mesh) throws IOException {
        List<String> lines = Files.readAllLines(mesh);
        List<String> vertices = new ArrayList<>();
        if (lines.get(0).startsWith("OFF")) {
            // "OFF V F E" (or "OFF" and the counts on the next line), then V vertex lines
            List<String> words = new ArrayList<>(List.of(lines.get(0).strip().split("\\s+")));
            int first = 1;
            if (words.size() == 1) {
                words.addAll(List.of(lines.get(1).strip().split("\\s+")));
                first = 2;
            }
            vertices.addAll(lines.subList(first, first + Integer.parseInt(words.get(1))));
        } else {
            lines.stream().map(String::strip).filter(l -> l.startsWith("vertex "))
                    .forEach(l -> vertices.add(l.substring("vertex ".length())));
        }
        double[] max = {Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY};
        for (String v : vertices) {
            String[] xyz = v.strip().split("\\s+");
            for (int i = 0; i < 3; i++) {
                max[i] = Math.max(max[i], Double.parseDouble(xyz[i]));
            }
        }
        return List.of(max[0], max[1], max[2]);
    }
}
