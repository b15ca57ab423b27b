package io.cgrender.ec2.testkit;

import io.cgrender.core.cloud.SshEndpoint;
import io.cgrender.testkit.AwsProxy;
import io.cgrender.testkit.Requirement;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ec2.model.Image;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceStateName;
import software.amazon.awssdk.services.ec2.model.KeyPairInfo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The stand-ins of this JVM, one per moto instance ({@link Standin}), kept in step with moto each time cgrender
 * asks how to reach an instance: a new running instance gets a stand-in (its home seeded from the image it was
 * launched from, when that image was made of another stand-in), a stopped one loses its sshd and processes, a started
 * one gets sshd back on a new port with the same host key, a terminated one is removed with its user and disk. An
 * image made of an instance gets a copy of that stand-in's disk the first time it is seen.
 * <p>
 * One registry per JVM, because cgrender opens a new cloud (and a new {@link MotoStandins}) for every command while
 * the instances live on in moto. Tests call {@link #closeAll()} when they are done (a shutdown hook does it too).
 * Needs root (it creates users) and OpenSSH's sshd; {@link #assumeAvailable()} skips a test where they are missing.
 * <p>
 * The registry also plays EC2's part when an instance's watchdog powers it off ({@code shutdown -h now}): it stops or
 * terminates the instance in moto, as the instance's {@code InstanceInitiatedShutdownBehavior} says.
 * <p>
 * Another JVM (a {@code cgrender} process a test starts, and may kill) reaches the stand-ins of this one when it runs
 * with the system property {@value #ATTACH_PROPERTY} = {@link #sharedRoot()}: it then only reads where each stand-in
 * listens and what its console says, and makes none.
 */
public final class Standins {

    private static final Pattern CREATED_BY = Pattern.compile("CreateImage\\((i-[0-9a-f]+)\\)");
    private static final Standins INSTANCE = new Standins();
    /** The system property that makes a JVM use the stand-ins of another ({@link #sharedRoot()}). */
    public static final String ATTACH_PROPERTY = "cgrender.standins.attach";

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(Standins::closeAll, "cgrender-standin-reaper"));
    }

    /**
     * Marks the calls the registry makes with cgrender's own client (to keep in step with moto) as the harness's
     * ({@link AwsProxy#HARNESS_HEADER}), so a proxy's record tells them from cgrender's. Asking for the console is not
     * marked: it stands for cgrender's own GetConsoleOutput.
     */
    private static final java.util.function.Consumer<software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration
            .Builder> HARNESS = o -> o.putHeader(AwsProxy.HARNESS_HEADER, "standins");

    private final Map<String, Standin> byInstance = new LinkedHashMap<>();
    private final Map<String, Path> imageDisks = new LinkedHashMap<>();
    private final Map<String, Remains> remains = new LinkedHashMap<>();
    private final Map<String, java.time.Instant> spotNotices = new LinkedHashMap<>();
    private Path root;
    private boolean strangerNext;
    private boolean silentNext;
    private boolean offlineNext;
    private boolean ownLoginUserNext;
    /** moto, as this JVM's own clients of it: for playing EC2 (power, instance metadata). */
    private Ec2Client power;
    private software.amazon.awssdk.services.iam.IamClient iam;
    private software.amazon.awssdk.services.sts.StsClient sts;
    private Thread powerWatch;
    /** Makes stand-ins for the instances of attached JVMs ({@link #serveOtherJvms}). */
    private Thread server;

    private Standins() {
    }

    /** Skips the calling test (fails it on CI) unless stand-ins can be made here: root (useradd) and sshd. */
    public static void assumeAvailable() {
        Requirement.require("root".equals(System.getProperty("user.name")), "EC2 stand-ins create a local user"
                + " per instance (useradd), which needs root (CI runs as root)");
        Requirement.require(Files.isExecutable(Path.of("/usr/sbin/useradd")), "useradd is not installed, and the"
                + " test needs EC2 stand-ins");
        io.cgrender.testkit.LocalSshd.assumeAvailable();
    }

    /**
     * What was left of a stand-in when its instance was terminated: its sshd's log (every login and session) and
     * the files in its home (the instance's disk), so tests can tell what ran on an instance that is gone.
     */
    public record Remains(String sshdLog, List<String> homeFiles, String watchdogLog) {
    }

    /** The remains of the stand-in of a terminated instance, if it had one. */
    public static synchronized Optional<Remains> remainsOf(String instanceId) {
        return Optional.ofNullable(INSTANCE.remains.get(instanceId));
    }

    /** The next stand-in made prints another key's fingerprint on its console than its sshd presents. */
    public static synchronized void presentAStrangerKeyNext() {
        INSTANCE.strangerNext = true;
    }

    /** The next stand-in made prints no host keys on its console (say, an instance cloud-init did not set up). */
    public static synchronized void printNoHostKeysNext() {
        INSTANCE.silentNext = true;
    }

    /**
     * The next stand-in made is reached only as its own user ({@link #userOf}), as an instance whose image has a login
     * user of its own: cgrender must ask for that user ({@code create --instance-id … --login-user}); asking for any
     * other (the role's {@code ubuntu}) is refused by its sshd.
     */
    public static synchronized void ownLoginUserNext() {
        INSTANCE.ownLoginUserNext = true;
    }

    /**
     * The next stand-in made cannot reach the AWS APIs (its sessions' {@code AWS_ENDPOINT_URL} is a closed port), as
     * an instance in a subnet without a route to S3; its instance metadata still answers.
     */
    public static synchronized void cutOffAwsNext() {
        INSTANCE.offlineNext = true;
    }

    /**
     * EC2 gives the spot instance {@code instanceId} its two-minute interruption notice: its metadata service serves
     * {@code spot/instance-action} ({@code {"action": "terminate", "time": …}}) from now on.
     */
    public static synchronized void noticeSpotInterruption(String instanceId, java.time.Instant at) {
        INSTANCE.spotNotices.put(instanceId, at);
    }

    /** The interruption notice of a spot instance, as its metadata service serves it, if EC2 gave one. */
    static synchronized Optional<String> spotInstanceAction(String instanceId) {
        return Optional.ofNullable(INSTANCE.spotNotices.get(instanceId)).map(at -> "{\"action\": \"terminate\","
                + " \"time\": \"" + at.truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + "\"}");
    }

    /** What the box agent of an instance's stand-in logged. */
    public static synchronized String agentLog(String instanceId) {
        Standin s = INSTANCE.byInstance.get(instanceId);
        return s == null ? "" : s.agentLog();
    }

    /** How often the box agent of an instance's stand-in was started (restarts included). */
    public static synchronized int agentStarts(String instanceId) {
        Standin s = INSTANCE.byInstance.get(instanceId);
        return s == null ? 0 : s.agentStarts();
    }

    /** Kills the box agent of an instance's stand-in, as a crash would. */
    public static synchronized void killAgent(String instanceId) {
        Standin s = INSTANCE.byInstance.get(instanceId);
        if (s != null) {
            s.killAgent();
        }
    }

    /**
     * Runs {@code command} on an instance's stand-in as its login user, with the environment its agent runs in (its
     * state directory, the AWS endpoints and the instance metadata), plus {@code env}: a command of the box such as
     * cgrender-box, as the user logged in to it runs it.
     */
    public static io.cgrender.testkit.OsCommand.Result runOnBox(String instanceId, Map<String, String> env,
                                                                String... command) {
        Standin s;
        synchronized (Standins.class) {
            s = INSTANCE.byInstance.get(instanceId);
        }
        if (s == null) {
            throw new IllegalStateException("no stand-in for " + instanceId);
        }
        return s.runOnBox(env, List.of(command));
    }

    /** What the watchdog of an instance's stand-in logged. */
    public static synchronized String watchdogLog(String instanceId) {
        Standin s = INSTANCE.byInstance.get(instanceId);
        return s == null ? INSTANCE.remains.containsKey(instanceId) ? INSTANCE.remains.get(instanceId).watchdogLog()
                : "" : s.watchdogLog();
    }

    /** The local user of each stand-in, by instance id. */
    public static synchronized Map<String, String> users() {
        Map<String, String> users = new LinkedHashMap<>();
        INSTANCE.byInstance.forEach((id, s) -> users.put(id, s.user));
        return users;
    }

    /** The directory holding the stand-ins, for another JVM to attach with {@value #ATTACH_PROPERTY}. */
    public static synchronized Path sharedRoot() {
        return INSTANCE.root();
    }

    /** The public line of the host key the stand-in of an instance presents, {@code "ssh-ed25519 AAAA…"}. */
    public static synchronized String hostKeyLine(String instanceId) {
        Standin s = INSTANCE.byInstance.get(instanceId);
        if (s == null) {
            throw new IllegalStateException("no stand-in for " + instanceId);
        }
        return s.hostKeyLine();
    }

    /** The instance ids that have a stand-in now. */
    public static synchronized Set<String> instanceIds() {
        return Set.copyOf(INSTANCE.byInstance.keySet());
    }

    /** The root directory of an instance's stand-in: the part of its disk outside the home cgrender writes. */
    public static synchronized Optional<Path> root(String instanceId) {
        return Optional.ofNullable(INSTANCE.byInstance.get(instanceId)).map(s -> s.root);
    }

    /** The home directory (disk) of an instance's stand-in. */
    public static synchronized Optional<Path> home(String instanceId) {
        return Optional.ofNullable(INSTANCE.byInstance.get(instanceId)).map(s -> s.home);
    }

    /** What the sshd of an instance's stand-in logged. */
    public static synchronized String sshdLog(String instanceId) {
        Standin s = INSTANCE.byInstance.get(instanceId);
        return s == null ? "" : s.sshdLog();
    }

    /** The local user of an instance's stand-in (whether or not it exists now). */
    public static String userOf(String instanceId) {
        return "cgr-" + instanceId.substring(2);
    }

    /** Whether the local user of an instance's stand-in exists, or any process of it runs. */
    public static boolean leftOver(String instanceId) {
        String user = userOf(instanceId);
        return io.cgrender.testkit.LocalUser.exists(user) || !io.cgrender.testkit.LocalUser.processesOf(user).isEmpty();
    }

    /**
     * Makes stand-ins in this JVM for the instances that other JVMs launch — cgrender processes a test starts with
     * {@value #ATTACH_PROPERTY}, which make none themselves — as moto shows them running, every quarter second until
     * {@link #closeAll()}. Such a process waits for the stand-in of an instance it launched.
     */
    public static synchronized void serveOtherJvms(Ec2Client ec2) {
        if (INSTANCE.server != null) {
            return;
        }
        INSTANCE.root();
        INSTANCE.server = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                synchronized (Standins.class) {
                    try {
                        INSTANCE.serve(ec2);
                    } catch (RuntimeException e) {
                        // moto busy or an instance going away meanwhile: the next round sees it anew
                    }
                }
                try {
                    Thread.sleep(250);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "cgrender-standin-server");
        INSTANCE.server.setDaemon(true);
        INSTANCE.server.start();
    }

    /** A stand-in for every running instance that has none, then everything else in step with moto. */
    private void serve(Ec2Client ec2) {
        ec2.describeInstancesPaginator(r -> r.filters(f -> f.name("instance-state-name").values("running"))
                        .overrideConfiguration(HARNESS)).reservations().forEach(r -> r.instances().stream()
                        .filter(i -> !byInstance.containsKey(i.instanceId()))
                        .forEach(i -> ensure(ec2, i)));
        syncWith(ec2);
    }

    /** Brings the stand-ins in step with moto now (as every access does). */
    public static synchronized void sync(Ec2Client ec2) {
        INSTANCE.syncWith(ec2);
    }

    /** Removes every stand-in (sshd, processes, user, disk) and every image disk. */
    public static synchronized void closeAll() {
        List<RuntimeException> failures = new ArrayList<>();
        for (Standin s : List.copyOf(INSTANCE.byInstance.values())) {
            try {
                s.close();
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }
        if (INSTANCE.server != null) {
            INSTANCE.server.interrupt();
            INSTANCE.server = null;
        }
        if (INSTANCE.powerWatch != null) {
            INSTANCE.powerWatch.interrupt();
            INSTANCE.powerWatch = null;
            INSTANCE.power.close();
            INSTANCE.iam.close();
            INSTANCE.sts.close();
            INSTANCE.power = null;
            INSTANCE.iam = null;
            INSTANCE.sts = null;
        }
        INSTANCE.byInstance.clear();
        INSTANCE.imageDisks.clear();
        INSTANCE.remains.clear();
        INSTANCE.strangerNext = false;
        INSTANCE.silentNext = false;
        INSTANCE.offlineNext = false;
        INSTANCE.ownLoginUserNext = false;
        if (INSTANCE.root != null) {
            try {
                Standin.deleteTree(INSTANCE.root);
            } catch (RuntimeException e) {
                failures.add(e);
            }
            INSTANCE.root = null;
        }
        if (!failures.isEmpty()) {
            RuntimeException first = failures.remove(0);
            failures.forEach(first::addSuppressed);
            throw first;
        }
    }

    static synchronized SshEndpoint endpoint(Ec2Client ec2, Instance instance, String loginUser) {
        Optional<Path> attached = attachedRoot();
        if (attached.isPresent()) {
            String[] endpoint = Standin.read(attachedFile(attached.get(), instance.instanceId(),
                    Standin.ENDPOINT_FILE)).strip().split(" ");
            return new SshEndpoint(endpoint[0], Integer.parseInt(endpoint[1]), endpoint[2]);
        }
        INSTANCE.syncWith(ec2);
        Standin standin = INSTANCE.ensure(ec2, instance);
        return new SshEndpoint("127.0.0.1", standin.port(), standin.ownLoginUser ? loginUser : standin.user);
    }

    static synchronized String console(Ec2Client ec2, String instanceId) {
        // Asked of moto first, so an unknown id fails as it does on EC2; moto's own text is a fixed sample.
        ec2.getConsoleOutput(r -> r.instanceId(instanceId));
        Optional<Path> attached = attachedRoot();
        if (attached.isPresent()) {
            return Standin.read(attachedFile(attached.get(), instanceId, Standin.CONSOLE_FILE));
        }
        INSTANCE.syncWith(ec2);
        Standin standin = INSTANCE.byInstance.get(instanceId);
        if (standin == null) {
            Optional<Instance> instance = describe(ec2, instanceId);
            if (instance.isEmpty() || instance.get().state().name() != InstanceStateName.RUNNING) {
                return "";
            }
            standin = INSTANCE.ensure(ec2, instance.get());
        }
        return standin.console();
    }

    // ---------------------------------------------------------------- internals

    private static Optional<Path> attachedRoot() {
        return Optional.ofNullable(System.getProperty(ATTACH_PROPERTY)).filter(p -> !p.isBlank()).map(Path::of);
    }

    /** A file of a stand-in another JVM makes, waiting (a minute at most) for it to appear. */
    private static Path attachedFile(Path root, String instanceId, String name) {
        Path file = root.resolve(instanceId).resolve(name);
        long deadline = System.nanoTime() + java.time.Duration.ofMinutes(1).toNanos();
        while (!Files.exists(file)) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("no stand-in of " + instanceId + " in " + root + " within a minute:"
                        + " the JVM that shares its stand-ins must reach the instance first, or serve other JVMs");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the stand-in of " + instanceId, e);
            }
        }
        return file;
    }

    /** What the stand-in of an instance is told about its network: moto for the AWS APIs, its own metadata. */
    private Map<String, String> network(Ec2Client ec2, boolean offline, StandinMetadata metadata, String instanceId) {
        String moto = ec2.serviceClientConfiguration().endpointOverride().map(Object::toString)
                .orElseThrow(() -> new IllegalStateException("EC2 stand-ins need a client of moto"));
        Map<String, String> env = new LinkedHashMap<>();
        // What cgrender installs as root over SSH (the box agent) goes into the stand-in's root directory, and its
        // systemctl is the stand-in's (StandinBoot), as for the user data.
        Path dir = root().resolve(instanceId);
        env.put("CGRENDER_ROOT", dir.resolve("root").toString());
        env.put("CGRENDER_SYSTEMCTL", dir.resolve("bin").resolve("systemctl").toString());
        env.put("AWS_ENDPOINT_URL", offline ? "http://127.0.0.1:" + io.cgrender.testkit.FreePort.find() : moto);
        env.put("AWS_EC2_METADATA_SERVICE_ENDPOINT", metadata.endpoint());
        // The pace of the box's own waits, as the watchdog's (Standin): what a job's delivery waits out (credentials
        // not yet usable, throttling, no route to S3) is retried from 0.2 s on rather than 1 s, and a spot box asks
        // for EC2's interruption notice every second rather than every 5 s. The tries and their order are the same.
        env.put("CGRENDER_RETRY_PAUSE", "0.2");
        env.put("CGRENDER_SPOT_POLL", "1");
        return env;
    }

    /** The instance's user data, if it is cgrender's (it installs cgrender's watchdog). */
    static Optional<String> userData(Ec2Client ec2, String instanceId) {
        String encoded;
        try {
            encoded = ec2.describeInstanceAttribute(r -> r.instanceId(instanceId).attribute("userData")
                    .overrideConfiguration(HARNESS)).userData().value();
        } catch (Ec2Exception e) {
            return Optional.empty();
        }
        if (encoded == null || encoded.isEmpty()) {
            return Optional.empty();
        }
        String userData = new String(java.util.Base64.getDecoder().decode(encoded),
                java.nio.charset.StandardCharsets.UTF_8);
        return userData.contains("<<'CGRENDER_WATCHDOG'\n") ? Optional.of(userData) : Optional.empty();
    }

    /**
     * Plays EC2 when a watchdog powers its instance off: the instance stops or terminates, as its
     * InstanceInitiatedShutdownBehavior says. Checks every quarter second, on a daemon thread, from the first
     * stand-in on.
     */
    private void watchPower(Ec2Client ec2) {
        if (powerWatch != null) {
            return;
        }
        java.net.URI endpoint = ec2.serviceClientConfiguration().endpointOverride().orElseThrow();
        // Playing EC2 is not subject to the faults of a proxy in front of moto; the role's credentials go through it.
        java.net.URI moto = java.net.URI.create(AwsProxy.behind(endpoint.toString()));
        var credentials = software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create(
                        io.cgrender.testkit.MotoServer.ACCESS_KEY, io.cgrender.testkit.MotoServer.SECRET_KEY));
        power = Ec2Client.builder().endpointOverride(moto).region(ec2.serviceClientConfiguration().region())
                .credentialsProvider(credentials)
                .httpClient(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.create()).build();
        iam = software.amazon.awssdk.services.iam.IamClient.builder().endpointOverride(moto)
                .region(software.amazon.awssdk.regions.Region.AWS_GLOBAL).credentialsProvider(credentials)
                .httpClient(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.create()).build();
        sts = software.amazon.awssdk.services.sts.StsClient.builder().endpointOverride(endpoint)
                .region(ec2.serviceClientConfiguration().region()).credentialsProvider(credentials)
                .overrideConfiguration(o -> o.putHeader(AwsProxy.HARNESS_HEADER, "standin metadata"))
                .httpClient(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.create()).build();
        powerWatch = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(250);
                } catch (InterruptedException e) {
                    return;
                }
                synchronized (Standins.class) {
                    for (Standin s : List.copyOf(byInstance.values())) {
                        if (s.haltRequested()) {
                            powerOff(s.instanceId);
                        } else if (byInstance.containsKey(s.instanceId)) {
                            s.superviseAgent();
                        }
                    }
                }
            }
        }, "cgrender-standin-power");
        powerWatch.setDaemon(true);
        powerWatch.start();
    }

    private void powerOff(String instanceId) {
        try {
            String behaviour = power.describeInstanceAttribute(r -> r.instanceId(instanceId)
                    .attribute("instanceInitiatedShutdownBehavior")).instanceInitiatedShutdownBehavior().value();
            if ("terminate".equals(behaviour)) {
                power.terminateInstances(r -> r.instanceIds(instanceId));
            } else {
                power.stopInstances(r -> r.instanceIds(instanceId));
            }
            syncWith(power);
        } catch (RuntimeException e) {
            System.err.println("stand-ins: could not power off " + instanceId + ": " + e);
        }
    }

    private Standin ensure(Ec2Client ec2, Instance instance) {
        Standin existing = byInstance.get(instance.instanceId());
        if (existing != null) {
            if (!existing.isRunning() && instance.state().name() == InstanceStateName.RUNNING) {
                existing.restart();
                existing.address = instance.publicIpAddress();
            }
            return existing;
        }
        Optional<String> key = Optional.ofNullable(instance.keyName()).flatMap(name -> publicKey(ec2, name));
        Optional<Path> seed = Optional.ofNullable(imageDisks.get(instance.imageId()));
        boolean stranger = strangerNext;
        boolean silent = silentNext;
        boolean offline = offlineNext;
        boolean ownLoginUser = ownLoginUserNext;
        ownLoginUserNext = false;
        strangerNext = false;
        silentNext = false;
        offlineNext = false;
        watchPower(ec2);
        StandinMetadata metadata = new StandinMetadata(instance.instanceId(),
                ec2.serviceClientConfiguration().region().id(), power, iam, sts);
        Standin standin;
        try {
            standin = Standin.create(instance.instanceId(), root(), key, seed,
                    Optional.ofNullable(instance.privateIpAddress()).orElse("10.0.0.1"), stranger, silent,
                    network(ec2, offline, metadata, instance.instanceId()), userData(ec2, instance.instanceId()),
                    metadata);
        } catch (RuntimeException e) {
            metadata.close();
            throw e;
        }
        standin.address = instance.publicIpAddress();
        standin.ownLoginUser = ownLoginUser;
        byInstance.put(instance.instanceId(), standin);
        return standin;
    }

    private void syncWith(Ec2Client ec2) {
        if (byInstance.isEmpty()) {
            return;
        }
        Map<String, Instance> instances = new LinkedHashMap<>();
        ec2.describeInstancesPaginator(r -> r.overrideConfiguration(HARNESS)).reservations()
                .forEach(r -> r.instances().forEach(i -> instances.put(i.instanceId(), i)));
        snapshotNewImages(ec2);
        for (Standin s : List.copyOf(byInstance.values())) {
            Instance i = instances.get(s.instanceId);
            InstanceStateName state = i == null ? InstanceStateName.TERMINATED : i.state().name();
            switch (state) {
                case TERMINATED, SHUTTING_DOWN -> {
                    byInstance.remove(s.instanceId);
                    remains.put(s.instanceId, new Remains(s.sshdLog(), s.homeFiles(), s.watchdogLog()));
                    s.close();
                }
                case STOPPING, STOPPED -> {
                    if (s.isRunning()) {
                        s.stop();
                    }
                }
                case RUNNING -> {
                    if (!s.isRunning() || !java.util.Objects.equals(s.address, i.publicIpAddress())) {
                        s.restart();
                        s.address = i.publicIpAddress();
                    }
                }
                default -> {
                }
            }
        }
    }

    /** Copies the disk of the instance each new image of this account was made of. */
    private void snapshotNewImages(Ec2Client ec2) {
        for (Image image : ec2.describeImagesPaginator(r -> r.owners("self").overrideConfiguration(HARNESS))
                .images()) {
            if (imageDisks.containsKey(image.imageId())) {
                continue;
            }
            String source = Optional.ofNullable(image.sourceInstanceId()).orElseGet(() -> createdBy(ec2, image));
            Standin standin = source == null ? null : byInstance.get(source);
            if (standin != null) {
                imageDisks.put(image.imageId(), standin.snapshot(root().resolve(image.imageId())));
            }
        }
    }

    /** The instance an image was made of, from its snapshot's description ("Created by CreateImage(i-…) for …"). */
    private static String createdBy(Ec2Client ec2, Image image) {
        for (var mapping : image.blockDeviceMappings()) {
            if (mapping.ebs() == null || mapping.ebs().snapshotId() == null) {
                continue;
            }
            for (var snapshot : ec2.describeSnapshots(r -> r.snapshotIds(mapping.ebs().snapshotId())
                    .overrideConfiguration(HARNESS)).snapshots()) {
                Matcher m = CREATED_BY.matcher(String.valueOf(snapshot.description()));
                if (m.find()) {
                    return m.group(1);
                }
            }
        }
        return null;
    }

    /**
     * Removes stand-in users a killed test JVM left behind: those the kit made (by their comment) whose home is gone
     * and who run nothing.
     */
    private static void removeStaleUsers() {
        try {
            for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
                String[] fields = line.split(":", -1);
                if (fields.length >= 6 && fields[0].startsWith("cgr-") && fields[4].startsWith(Standin.COMMENT)
                        && !Files.exists(Path.of(fields[5])) && io.cgrender.testkit.LocalUser.processesOf(fields[0]).isEmpty()) {
                    io.cgrender.testkit.OsCommand.run(java.time.Duration.ofSeconds(30), "userdel", fields[0]);
                }
            }
        } catch (IOException e) {
            // no /etc/passwd to read: nothing to sweep
        }
    }

    private static Optional<String> publicKey(Ec2Client ec2, String keyName) {
        try {
            return ec2.describeKeyPairs(r -> r.keyNames(keyName).includePublicKey(true)
                    .overrideConfiguration(HARNESS)).keyPairs().stream()
                    .map(KeyPairInfo::publicKey).filter(k -> k != null && !k.isBlank()).findFirst();
        } catch (Ec2Exception e) {
            return Optional.empty();
        }
    }

    private static Optional<Instance> describe(Ec2Client ec2, String id) {
        try {
            return ec2.describeInstances(r -> r.instanceIds(id).overrideConfiguration(HARNESS)).reservations().stream()
                    .flatMap(r -> r.instances().stream()).findFirst();
        } catch (Ec2Exception e) {
            return Optional.empty();
        }
    }

    private Path root() {
        if (root == null) {
            removeStaleUsers();
            try {
                root = Files.createTempDirectory("cgrender-standins-");
                Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create a directory for EC2 stand-ins", e);
            }
        }
        return root;
    }
}
