package io.cgrender.cli;

import io.cgrender.cli.testroles.HeldBox;
import io.cgrender.core.cloud.Eventually;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ssh.NamespaceKey;
import io.cgrender.ec2.testkit.Standins;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.Tag;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One box per role on EC2 (moto and sshd stand-ins), with cgrender processes that share no lock: two machines'
 * concurrent creates end with one instance; a create killed after launch or during setup leaves an orphan that gc
 * lists and the next create replaces; an orphan's watchdog ends it once its creator's lease has lapsed.
 */
class Ec2ClaimsEndToEndTest {

    private static final Duration LONG = Duration.ofMinutes(5);

    private Ec2Cli user;
    private Cli cli;

    @BeforeEach
    void start() throws IOException {
        user = new Ec2Cli();
        cli = user.cli;
        user.configure("");
        Standins.serveOtherJvms(user.ec2);
    }

    @AfterEach
    void stop() throws IOException {
        if (user != null) {
            user.close();
        }
    }

    @Test
    void twoMachinesCreatingAtOnceEndWithOneInstanceBothUse() throws Exception {
        // Another machine: its own XDG directories (no lock shared with this one), the namespace's key copied over.
        try (Cli other = new Cli()) {
            other.env().putAll(cli.env());
            other.env().put("XDG_CONFIG_HOME", other.root().resolve("config").toString());
            other.env().put("XDG_STATE_HOME", other.root().resolve("state").toString());
            other.env().put("XDG_DATA_HOME", other.root().resolve("data").toString());
            other.env().put("HOME", other.root().resolve("home").toString());
            NamespaceKey.loadOrCreate(cli.configDir().resolve("keys"), Namespace.parse("/tester/", "tester"));
            copyTree(cli.configDir(), other.configDir());

            try (CgrenderProcess here = attached(cli, "here", "create", "openscad-ubuntu-box");
                 CgrenderProcess there = attached(other, "there", "create", "openscad-ubuntu-box")) {
                assertEquals(0, here.await(LONG), here.output());
                assertEquals(0, there.await(LONG), there.output());
                List<Instance> live = user.live();
                assertEquals(1, live.size(), "one instance: " + live + "\n--- here\n" + here.output()
                        + "--- there\n" + there.output());
                String id = live.get(0).instanceId();
                assertTrue(here.output().contains(id + "\n") && there.output().contains(id + "\n"),
                        "both use it:\n--- here\n" + here.output() + "--- there\n" + there.output());
                assertEquals("ready", tag(live.get(0), "cgrender:stage"));
                assertEquals("", tag(live.get(0), "cgrender:lease"), "nobody's lease once ready");
                int launched = user.allInstances().size();
                assertTrue(launched <= 2, "at most one launch each: " + launched);
                if (launched == 2) {
                    String both = here.output() + there.output();
                    assertTrue(both.contains("another box of openscad-ubuntu-box came first"), both);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"launched", "setup"})
    void aCreateKilledAfterLaunchOrDuringSetupLeavesAnOrphanThatGcListsAndTheNextCreateReplaces(String stage)
            throws Exception {
        String orphan;
        try (CgrenderProcess create = CgrenderProcess.start(cli, cli.root(), cli.root().resolve("create.log"),
                Map.of(HeldBox.HOLD_AT, stage, Standins.ATTACH_PROPERTY, Standins.sharedRoot().toString()),
                "create", "held-box")) {
            create.awaitWhileAlive(LONG, "the create held at " + stage, () -> held(stage).isPresent());
            orphan = held(stage).orElseThrow();
            create.kill();
        }
        Cli.Result gc = cli.ok("gc");
        assertTrue(gc.out().lines().anyMatch(l -> l.startsWith("box") && l.contains(orphan) && l.contains("orphan")),
                gc.toString());

        Cli.Result create = cli.ok("create", "held-box");
        assertTrue(create.err().contains("box " + orphan + " (held-box) was left ") && create.err().contains(
                ": terminating it"), create.toString());
        List<Instance> live = user.live();
        assertEquals(1, live.size(), live.toString());
        assertNotEquals(orphan, live.get(0).instanceId());
        assertEquals("ready", tag(live.get(0), "cgrender:stage"));
        assertTrue(cli.ok("gc").err().contains("nothing left behind"));
    }

    @Test
    void anAdoptedInstanceLeftHalfSetUpIsHandedBackNeverTerminated() throws Exception {
        String first = cli.ok("create", "held-box", "--new").out().strip(); // makes the namespace's key pair
        cli.ok("terminate", first);
        String mine = user.ec2.runInstances(r -> r.imageId("ami-785db401").instanceType("t3.micro").minCount(1)
                .maxCount(1).keyName("cgrender_tester_")).instances().get(0).instanceId();
        try (CgrenderProcess adopt = CgrenderProcess.start(cli, cli.root(), cli.root().resolve("adopt.log"),
                Map.of(HeldBox.HOLD_AT, "setup", Standins.ATTACH_PROPERTY, Standins.sharedRoot().toString()),
                "create", "held-box", "--instance-id", mine)) {
            adopt.awaitWhileAlive(LONG, "setup started", () -> held("setup").filter(mine::equals).isPresent());
            adopt.kill();
        }
        assertTrue(cli.ok("gc").out().lines().anyMatch(l -> l.startsWith("adopted box") && l.contains(mine)));

        Cli.Result create = cli.ok("create", "held-box");
        assertTrue(create.err().contains("box " + mine + " (held-box), an adopted machine, was left setting-up")
                && create.err().contains("handing it back"), create.toString());
        Instance handedBack = user.instance(mine);
        assertEquals("running", handedBack.state().nameAsString(), "the user's own instance is never terminated");
        assertEquals(List.of(), handedBack.tags().stream().filter(t -> t.key().startsWith("cgrender:")).toList());
        assertEquals(List.of(create.out().strip()), cli.boxIds());
        user.ec2.terminateInstances(r -> r.instanceIds(mine));
    }

    @Test
    void anOrphansWatchdogEndsItOnceTheLeaseHasLapsedForTheOrphanTimeout() throws Exception {
        user.configure("cgrender.box.orphan-timeout = 2s\ncgrender.claims { lease = 3s, renew-every = 1s }\n");
        String orphan;
        try (CgrenderProcess create = CgrenderProcess.start(cli, cli.root(), cli.root().resolve("create.log"),
                Map.of(HeldBox.HOLD_AT, "setup", Standins.ATTACH_PROPERTY, Standins.sharedRoot().toString()),
                "create", "held-box")) {
            create.awaitWhileAlive(LONG, "setup started", () -> held("setup").isPresent());
            orphan = held("setup").orElseThrow();
            Eventually.holdsFor(Duration.ofSeconds(6), "the box lives while its creator renews its lease",
                    () -> !user.instance(orphan).state().nameAsString().equals("terminated"));
            create.kill();
        }
        Eventually.await(Duration.ofSeconds(60), "the orphan " + orphan + " ended itself",
                () -> user.instance(orphan).state().nameAsString().equals("terminated"));
        assertTrue(Standins.watchdogLog(orphan).contains("an orphan for"), Standins.watchdogLog(orphan));
    }

    private CgrenderProcess attached(Cli who, String name, String... args) {
        return CgrenderProcess.start(who, who.root(), who.root().resolve(name + ".log"),
                Map.of(Standins.ATTACH_PROPERTY, Standins.sharedRoot().toString()), args);
    }

    /** The instance held at {@code stage}: launched (stage tag launching), or with its setup started. */
    private Optional<String> held(String stage) {
        for (Instance i : user.live()) {
            if (stage.equals("launched") && "launching".equals(tag(i, "cgrender:stage"))
                    && i.state().nameAsString().equals("running")) {
                return Optional.of(i.instanceId());
            }
            if (stage.equals("setup") && Standins.home(i.instanceId()).map(h -> Files.exists(h.resolve(
                    "setup-started"))).orElse(false)) {
                return Optional.of(i.instanceId());
            }
        }
        return Optional.empty();
    }

    private static String tag(Instance instance, String key) {
        return instance.tags().stream().filter(t -> key.equals(t.key())).map(Tag::value).findFirst().orElse(null);
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (var files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                            java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }
}
