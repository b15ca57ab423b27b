package io.cgrender.ec2;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.UsageException;
import io.cgrender.core.cloud.Cloud;
import io.cgrender.core.cloud.CloudContext;
import io.cgrender.core.cloud.MachineFilter;
import io.cgrender.core.config.Dirs;
import io.cgrender.core.config.Settings;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ui.Console;
import io.cgrender.testkit.MotoServer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Region, credentials and endpoint: what opening the EC2 cloud accepts, and the one-line errors for what it does not.
 * Nothing here needs moto except the profile test; unreachable endpoints are made on 127.0.0.1.
 */
class AwsClientsTest {

    @TempDir
    Path temp;
    private Dirs dirs;
    private Path home;

    @BeforeEach
    void dirs() throws IOException {
        dirs = new Dirs(temp.resolve("config"), temp.resolve("data"), temp.resolve("state"));
        home = Files.createDirectories(temp.resolve("home"));
    }

    private Cloud open(Map<String, String> env, Map<String, Object> config) {
        Settings settings = Settings.load(dirs, Optional.empty(), env, config);
        return new Ec2CloudProvider().open(new CloudContext(settings, dirs, Namespace.parse("/aws/", null),
                Console.silent(), env));
    }

    private Map<String, String> env(String... pairs) {
        Map<String, String> env = new HashMap<>();
        env.put("HOME", home.toString());
        env.put("AWS_EC2_METADATA_DISABLED", "true");
        for (int i = 0; i + 1 < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return env;
    }

    private static Map<String, String> credentials() {
        return Map.of("AWS_ACCESS_KEY_ID", MotoServer.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", MotoServer.SECRET_KEY);
    }

    @Test
    void aMissingRegionNamesEveryWayToSetOne() {
        Map<String, String> env = env();
        env.putAll(credentials());
        UsageException e = assertThrows(UsageException.class, () -> open(env, Map.of()));
        for (String hint : List.of("no AWS region", "--region", "AWS_REGION", "cgrender.aws.region", ".aws/config")) {
            assertTrue(e.getMessage().contains(hint), hint + " missing in: " + e.getMessage());
        }
    }

    @Test
    void anUnknownRegionIsRefusedWithTheKnownOnes() {
        Map<String, String> env = env("AWS_REGION", "us-east-9");
        env.putAll(credentials());
        UsageException e = assertThrows(UsageException.class, () -> open(env, Map.of()));
        assertTrue(e.getMessage().contains("unknown AWS region 'us-east-9' (from AWS_REGION)"), e.getMessage());
        assertTrue(e.getMessage().contains("eu-west-1"), e.getMessage());
        UsageException option = assertThrows(UsageException.class,
                () -> open(env, Map.of("cgrender.aws.region", "mars-1")));
        assertTrue(option.getMessage().contains("'mars-1' (from --region / cgrender.aws.region)"), option.getMessage());
    }

    @Test
    void missingCredentialsNameTheVariablesAndTheFile() {
        UsageException e = assertThrows(UsageException.class, () -> open(env("AWS_REGION", "us-east-1"), Map.of()));
        assertTrue(e.getMessage().startsWith("no AWS credentials"), e.getMessage());
        for (String hint : List.of("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", home + "/.aws/credentials",
                "--profile")) {
            assertTrue(e.getMessage().contains(hint), hint + " missing in: " + e.getMessage());
        }
        UsageException half = assertThrows(UsageException.class, () -> open(env("AWS_REGION", "us-east-1",
                "AWS_ACCESS_KEY_ID", "AKIAHALF"), Map.of()));
        assertTrue(half.getMessage().contains("AWS_SECRET_ACCESS_KEY is not"), half.getMessage());
    }

    @Test
    void aProfileGivesRegionAndCredentialsAndAnUnknownOneIsNamed() throws IOException {
        Path aws = Files.createDirectories(home.resolve(".aws"));
        Files.writeString(aws.resolve("credentials"), "[render]\naws_access_key_id = " + MotoServer.ACCESS_KEY
                + "\naws_secret_access_key = " + MotoServer.SECRET_KEY + "\n");
        Files.writeString(aws.resolve("config"), "[profile render]\nregion = eu-west-1\n");
        try (Ec2Cloud cloud = (Ec2Cloud) open(env(), Map.of("cgrender.aws.profile", "render"))) {
            assertEquals("eu-west-1", cloud.aws().region().id(), "the profile's region");
        }
        try (Ec2Cloud cloud = (Ec2Cloud) open(env("AWS_PROFILE", "render"), Map.of("cgrender.aws.region",
                "us-west-2"))) {
            assertEquals("us-west-2", cloud.aws().region().id(), "--region wins over the profile");
        }
        UsageException e = assertThrows(UsageException.class, () -> open(env(), Map.of("cgrender.aws.profile",
                "nope", "cgrender.aws.region", "us-east-1")));
        assertTrue(e.getMessage().contains("AWS profile 'nope'") && e.getMessage().contains("known profiles: render"),
                e.getMessage());
    }

    @Test
    void aClosedEndpointFailsAtOnceNamingIt() {
        int port = io.cgrender.testkit.FreePort.find();
        Map<String, String> env = env("AWS_REGION", "us-east-1");
        env.putAll(credentials());
        Cloud cloud = open(env, Map.of("cgrender.aws.endpoint", "http://127.0.0.1:" + port));
        try (cloud) {
            CgrenderException e = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> assertThrows(
                    CgrenderException.class, () -> cloud.describe(MachineFilter.of(Namespace.parse("/aws/", null)))));
            assertTrue(e.getMessage().contains("cannot reach EC2 in us-east-1 at http://127.0.0.1:" + port),
                    e.getMessage());
        }
    }

    @Test
    void badRetryAndFallbackSettingsAreRefusedNamingTheKey() {
        Map<String, String> env = env("AWS_REGION", "us-east-1");
        env.putAll(credentials());
        UsageException attempts = assertThrows(UsageException.class,
                () -> open(env, Map.of("cgrender.aws.max-attempts", 0)));
        assertTrue(attempts.getMessage().startsWith("bad configuration: cgrender.aws.max-attempts must be 1 to 20"),
                attempts.getMessage());
        UsageException types = assertThrows(UsageException.class, () -> open(env,
                Map.of("cgrender.ec2.fallback-instance-types", List.of("t3.large", "big one"))));
        assertTrue(types.getMessage().equals("bad configuration: cgrender.ec2.fallback-instance-types holds 'big one',"
                + " which is not an instance type such as t3.medium"), types.getMessage());
    }

    /** A server that accepts connections and never answers: the call times out instead of hanging. */
    @Test
    void aSilentEndpointTimesOutInsteadOfHanging() throws Exception {
        List<Socket> accepted = new ArrayList<>();
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(silent.accept());
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            }, "silent-endpoint");
            acceptor.setDaemon(true);
            acceptor.start();
            Map<String, String> env = env("AWS_REGION", "us-east-1");
            env.putAll(credentials());
            Map<String, Object> config = new LinkedHashMap<>();
            config.put("cgrender.aws.endpoint", "http://127.0.0.1:" + silent.getLocalPort());
            config.put("cgrender.aws.timeouts.api-call", "3s");
            config.put("cgrender.aws.timeouts.api-call-attempt", "1s");
            Cloud cloud = open(env, config);
            try (cloud) {
                long start = System.nanoTime();
                CgrenderException e = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> assertThrows(
                        CgrenderException.class, () -> cloud.describe(MachineFilter.of(Namespace.parse("/aws/",
                                null)))));
                Duration took = Duration.ofNanos(System.nanoTime() - start);
                assertTrue(e.getMessage().startsWith("timed out"), e.getMessage());
                assertTrue(e.getMessage().contains("127.0.0.1:" + silent.getLocalPort()), e.getMessage());
                assertTrue(took.compareTo(Duration.ofSeconds(10)) < 0, "bounded by the call timeout: " + took);
                assertTrue(!accepted.isEmpty(), "it did connect: the silence is what timed out");
            }
        } finally {
            for (Socket s : accepted) {
                s.close();
            }
        }
    }
}
