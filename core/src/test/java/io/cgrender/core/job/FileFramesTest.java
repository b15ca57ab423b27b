package io.cgrender.core.job;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link FileFrames}: files framed in a command's output, however the output is cut into writes. */
class FileFramesTest {

    @TempDir
    Path dir;

    @Test
    void filesAskedForArriveWholeAndTheRestIsTextWhateverTheWritesAre() throws IOException {
        byte[] stl = new byte[70_000];
        new Random(7).nextBytes(stl);
        byte[] output = stream(text("stage=succeeded\nexit=0\n"), frame("out/a.stl", "644", stl),
                frame("out/other", "600", "not asked for\n".getBytes(StandardCharsets.UTF_8)),
                text("::file not a header\n"), frame("out/empty", "644", new byte[0]), text("last"));

        for (int chunk : List.of(1, 7, 4096, output.length)) {
            Path here = Files.createDirectories(dir.resolve("chunk-" + chunk));
            try (FileFrames frames = new FileFrames(Map.of("out/a.stl", here.resolve("a.stl"), "out/empty",
                    here.resolve("empty")))) {
                for (int i = 0; i < output.length; i += chunk) {
                    frames.write(output, i, Math.min(chunk, output.length - i));
                }
                assertEquals("stage=succeeded\nexit=0\n::file not a header\nlast", frames.text(), "chunks of " + chunk);
                assertTrue(frames.take("out/a.stl", here.resolve("a.stl")));
                assertTrue(frames.take("out/empty", here.resolve("empty")));
            }
            assertArrayEquals(stl, Files.readAllBytes(here.resolve("a.stl")), "chunks of " + chunk);
            assertEquals(0, Files.size(here.resolve("empty")));
            try (var files = Files.list(here)) {
                assertEquals(List.of("a.stl", "empty"), files.map(p -> p.getFileName().toString()).sorted().toList());
            }
        }
    }

    @Test
    void aFileCutShortIsNeverTakenAndLeavesNothing() throws IOException {
        byte[] whole = frame("out/a.stl", "644", new byte[1000]);
        FileFrames frames = new FileFrames(Map.of("out/a.stl", dir.resolve("a.stl")));
        frames.write(whole, 0, whole.length - 1);

        assertFalse(frames.take("out/a.stl", dir.resolve("a.stl")));
        frames.close();

        try (var files = Files.list(dir)) {
            assertEquals(List.of(), files.toList());
        }
    }

    @Test
    void aFileIsTakenOnlyForThePlaceItWasAskedFor() throws IOException {
        byte[] output = frame("out/a.stl", "644", "solid\n".getBytes(StandardCharsets.UTF_8));
        try (FileFrames frames = new FileFrames(Map.of("out/a.stl", dir.resolve("a.stl")))) {
            frames.write(output, 0, output.length);
            assertFalse(frames.take("out/a.stl", dir.resolve("elsewhere.stl")));
            assertFalse(frames.take("out/b.stl", dir.resolve("a.stl")));
            assertTrue(frames.take("out/a.stl", dir.resolve("a.stl")));
            assertFalse(frames.take("out/a.stl", dir.resolve("a.stl")), "taken once");
        }
        assertEquals("solid\n", Files.readString(dir.resolve("a.stl")));
    }

    private static byte[] frame(String path, String mode, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(("::file " + content.length + " " + mode + " " + path + "\n").getBytes(StandardCharsets.UTF_8));
        out.writeBytes(content);
        return out.toByteArray();
    }

    private static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] stream(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
