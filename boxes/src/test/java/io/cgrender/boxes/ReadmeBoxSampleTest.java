package io.cgrender.boxes;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's "Writing a box" shows the render box as it is: its copy there is the class, from {@code @Role} on. */
class ReadmeBoxSampleTest {

    @Test
    void theReadmeShowsTheRealRenderBox() throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"));
        int section = readme.indexOf("\n## Writing a box\n");
        assertTrue(section >= 0, "the README has a Writing a box section");
        int start = readme.indexOf("```java\n", section) + "```java\n".length();
        String sample = readme.substring(start, readme.indexOf("```\n", start));

        String source = Files.readString(Path.of("src/main/java/io/cgrender/boxes/UbuntuOpenScadBox.java"));
        assertEquals(source.substring(source.indexOf("@Role(")).strip(), sample.strip());
    }
}
