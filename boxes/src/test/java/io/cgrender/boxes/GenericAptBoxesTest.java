package io.cgrender.boxes;

import io.cgrender.core.box.Box;
import io.cgrender.core.box.CreateOptions;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.ssh.RemoteHost;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The generic apt roles on the local cloud (this Debian or Ubuntu machine), set up for real: they install what they
 * need (the AWS CLI), and setting them up again does no package work at all.
 */
class GenericAptBoxesTest {

    @RegisterExtension
    final LocalBoxEnvironment boxes = new LocalBoxEnvironment();

    @ParameterizedTest
    @ValueSource(classes = {UbuntuBox.class, DebianBox.class})
    void setUpThenSetUpAgainWithNoPackageWork(Class<? extends Box> role) throws Exception {
        Box box = role.getDeclaredConstructor().newInstance();
        List<Machine> first = box.create(boxes.env(), CreateOptions.defaults());
        String setup = boxes.err.toString();
        assertTrue(setup.contains("setting up"), setup);
        assertEquals(box.role(), first.get(0).tags().get(Tags.ROLE));
        RemoteHost host = box.connect(boxes.env(), first.get(0));
        assertEquals(0, host.exec("command -v aws", Duration.ofMinutes(1)).exitCode(),
                "every apt box has the AWS CLI, which its agent needs on EC2");

        boxes.err.getBuffer().setLength(0);
        box.create(boxes.env(), CreateOptions.defaults());
        String again = boxes.err.toString();
        assertTrue(again.contains("packages already installed: awscli"), again);
        assertFalse(again.contains("installing"), again);
        assertFalse(again.contains("updating package lists"), again);
        assertFalse(again.contains("warning"), again);
    }
}
