package io.cgrender.local;

import io.cgrender.core.box.Box;
import io.cgrender.core.box.BoxEnvironment;
import io.cgrender.core.box.MachineSpec;
import io.cgrender.core.box.Role;
import io.cgrender.core.cloud.Image;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.image.ImageCache;
import io.cgrender.core.ssh.MinaSshConnector;
import io.cgrender.core.ssh.RemoteHost;
import io.cgrender.core.ui.Console;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Several cgrenders baking images of one role at once, on the local cloud. */
class ImageBakingTest {

    @Role(name = "baking-test-box", description = "test role: no setup")
    public static final class PlainBox extends Box {
        @Override
        public MachineSpec machineSpec() {
            return MachineSpec.ubuntu(1, 1, 8, "t3.micro");
        }

        @Override
        protected void setup(RemoteHost host) {
        }
    }

    @TempDir
    Path temp;
    private LocalBoxes boxes;
    private MinaSshConnector connector;
    private final StringWriter err = new StringWriter();

    @BeforeEach
    void start() {
        boxes = new LocalBoxes(temp);
        connector = new MinaSshConnector(boxes.knownHosts);
    }

    @AfterEach
    void stop() {
        connector.close();
        boxes.close();
    }

    private BoxEnvironment environment() {
        return new BoxEnvironment(boxes.cloud, boxes.namespace, boxes.key, boxes.knownHosts, connector,
                io.cgrender.core.config.Settings.defaults(), new Console(new PrintWriter(new StringWriter(), true),
                new PrintWriter(err, true), false), temp.resolve("state/claims"));
    }

    @Test
    void concurrentBakesGetGenerationsOfTheirOwnAndKeepTheNewestTwo() throws Exception {
        Box box = new PlainBox();
        Machine machine = box.create(environment(), io.cgrender.core.box.CreateOptions.defaults()).get(0);
        boxes.adopt(machine.id());
        assertTrue(err.toString().contains("baking image limg-"), "the create bakes generation 1: " + err);

        int bakers = 3;
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(bakers);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < bakers; i++) {
                done.add(pool.submit(() -> {
                    go.await();
                    ImageCache.of(environment(), new PlainBox()).bake(machine);
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : done) {
                f.get(2, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }

        List<Image> left = boxes.cloud.images().orElseThrow().list(boxes.namespace, "baking-test-box");
        assertEquals(List.of(4, 3), left.stream().map(Image::generation).toList(),
                "four bakes, one generation each, the newest two kept: " + err);
        assertTrue(left.stream().allMatch(Image::available), left.toString());
        assertTrue(!err.toString().contains("warning"), err.toString());
    }
}
