package io.cgrender.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** An error's fix and see lines act where the failed command did: with its namespace, cloud, region and profile. */
class HintContextTest {

    @RegisterExtension
    final Cli cli = new Cli();

    private static HintContext given(String... nameValues) {
        Map<String, String> given = new LinkedHashMap<>();
        for (int i = 0; i < nameValues.length; i += 2) {
            given.put(nameValues[i], nameValues[i + 1]);
        }
        return new HintContext(given);
    }

    @Test
    void theContextGoesAfterEachCgrenderThatStartsACommandLine() {
        HintContext ec2 = given("--cloud", "ec2", "--namespace", "/alice/", "--region", "eu-west-1");
        assertEquals("fix: cgrender --cloud ec2 --region eu-west-1 -n /alice/ start i-0abc",
                ec2.apply("fix: cgrender start i-0abc"));
        assertEquals("fix: cgrender --cloud ec2 --region eu-west-1 -n /alice/ create x && cgrender --cloud ec2 --region"
                + " eu-west-1 -n /alice/ image x", ec2.apply("fix: cgrender create x && cgrender image x"));
        assertEquals("see: cgrender --cloud ec2 --region eu-west-1 -n /alice/ list (or cgrender.render.role,"
                + " cgrender-box status, /usr/bin/cgrender)",
                ec2.apply("see: cgrender list (or cgrender.render.role, cgrender-box status, /usr/bin/cgrender)"));
    }

    @Test
    void anOptionTheHintNamesIsLeftToItAndNoContextChangesNothing() {
        assertEquals("fix: cgrender -n /alice/ --cloud ec2 create amazon-linux-box",
                given("--cloud", "local", "--namespace", "/alice/").apply("fix: cgrender --cloud ec2 create"
                        + " amazon-linux-box"));
        assertEquals("fix: cgrender start x", given().apply("fix: cgrender start x"));
        assertEquals("fix: cgrender -c 'my conf.conf' start x",
                given("--config", "my conf.conf").apply("fix: cgrender start x"));
    }

    @Test
    void aFailedCommandsHintCarriesTheNamespaceItWasGiven() {
        Cli.Result r = cli.run("show", "-n", "/elsewhere/", "nosuchbox");
        assertEquals(2, r.code(), r.toString());
        List<String> lines = r.err().lines().toList();
        assertEquals("see: cgrender -n /elsewhere/ list", lines.get(lines.size() - 1), r.toString());
    }
}
