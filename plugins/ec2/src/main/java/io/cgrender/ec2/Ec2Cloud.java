package io.cgrender.ec2;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.cloud.Cloud;
import io.cgrender.core.cloud.CloudContext;
import io.cgrender.core.cloud.GarbageCollection;
import io.cgrender.core.cloud.ImageSupport;
import io.cgrender.core.cloud.LaunchSpec;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.cloud.MachineAccess;
import io.cgrender.core.cloud.MachineAdoption;
import io.cgrender.core.cloud.MachineFilter;
import io.cgrender.core.cloud.MachineState;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.ui.Console;
import io.cgrender.core.ui.Heartbeat;
import io.cgrender.core.ui.Progress;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.waiters.WaiterOverrideConfiguration;
import software.amazon.awssdk.core.waiters.WaiterResponse;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesRequest;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceStateName;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.waiters.Ec2Waiter;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Boxes on Amazon EC2. A box is an instance tagged with the cgrender tag schema ({@link Tags}); the namespace's key
 * pair and security group are made on first use and shared by its boxes. Nothing is kept between commands but what
 * the tags say, so any number of cgrender processes can share the boxes.
 * <p>
 * Waits use the SDK's waiters (polling every {@code cgrender.ec2.poll-interval}) with the caller's timeout and report
 * progress while they last. How instances are reached is {@link InstanceAccess}'s business.
 */
final class Ec2Cloud implements Cloud {

    static final String NAME = "ec2";
    /** When cgrender launched the instance: stable across stop/start, unlike EC2's LaunchTime. */
    static final String LAUNCHED_AT = Tags.PREFIX + "launched-at";
    /** Set on instances cgrender adopted rather than launched. */
    static final String ADOPTED = Tags.ADOPTED;

    private static final List<String> LIVE_STATES = List.of("pending", "running", "shutting-down", "stopping",
            "stopped");

    private final AwsClients aws;
    private final Ec2Settings settings;
    private final InstanceAccess access;
    private final Console console;
    private final CloudContext context;
    private final Ec2Waiter waiter;
    private final NamespaceKeyPair keyPairs;
    private final NamespaceSecurityGroup securityGroups;
    private final BaseImages baseImages;
    private final Ec2Images images;
    private final Ec2Delivery delivery;
    /** Instances this process launched: EC2 may not describe them for a moment after RunInstances. */
    private final Set<String> launchedHere = ConcurrentHashMap.newKeySet();

    Ec2Cloud(CloudContext context, Ec2Settings settings, AwsClients aws, InstanceAccess access) {
        this.context = context;
        this.settings = settings;
        this.aws = aws;
        this.access = access;
        this.console = context.console();
        this.waiter = Ec2Waiter.builder().client(aws.ec2()).build();
        this.keyPairs = new NamespaceKeyPair(aws, settings.pollInterval(), console);
        this.securityGroups = new NamespaceSecurityGroup(aws, settings, console);
        this.baseImages = new BaseImages(aws, settings, console);
        this.images = new Ec2Images(this);
        this.delivery = new Ec2Delivery(this, ResultSettings.from(context.settings()));
    }

    @Override
    public String name() {
        return NAME;
    }

    AwsClients aws() {
        return aws;
    }

    Ec2Settings settings() {
        return settings;
    }

    Console console() {
        return console;
    }

    CloudContext context() {
        return context;
    }

    Ec2Waiter waiter() {
        return waiter;
    }

    NamespaceKeyPair keyPairs() {
        return keyPairs;
    }

    NamespaceSecurityGroup securityGroups() {
        return securityGroups;
    }

    BaseImages baseImages() {
        return baseImages;
    }

    Ec2Images ec2Images() {
        return images;
    }

    // ---------------------------------------------------------------- launch and wait

    @Override
    public Machine launch(LaunchSpec spec) {
        Ec2Launch launch = new Ec2Launch(this, spec);
        Instance instance = launch.run();
        launchedHere.add(instance.instanceId());
        return toMachine(instance);
    }

    @Override
    public Machine awaitRunning(String id, Duration timeout, Progress progress) {
        if (launchedHere.contains(id) && instance(id).isEmpty()) {
            // Eventual consistency: an instance just launched can be unknown to DescribeInstances for a moment.
            waitFor("waiting for EC2 instance " + id + " to be known", timeout, progress,
                    o -> waiter.waitUntilInstanceExists(byId(id), o));
        }
        Instance instance = require(id);
        String state = instance.state().nameAsString();
        switch (state) {
            case "running" -> {
                return toMachine(instance);
            }
            case "stopping", "stopped" -> throw new CgrenderException("EC2 instance " + id + " is " + state
                    + "; start it with: cgrender start " + id);
            case "shutting-down", "terminated" -> throw new CgrenderException("EC2 instance " + id + " was"
                    + " terminated (" + reason(instance) + ")");
            default -> {
            }
        }
        waitFor("waiting for EC2 instance " + id + " to run", timeout, progress,
                o -> waiter.waitUntilInstanceRunning(byId(id), o));
        return toMachine(require(id));
    }

    // ---------------------------------------------------------------- describe

    @Override
    public List<Machine> describe(MachineFilter filter) {
        List<Filter> filters = new ArrayList<>();
        filters.add(Filter.builder().name("tag:" + Tags.NAMESPACE).values(filter.namespace().toString()).build());
        filter.role().ifPresent(role -> filters.add(Filter.builder().name("tag:" + Tags.ROLE).values(role).build()));
        filters.add(Filter.builder().name("instance-state-name").values(LIVE_STATES).build());
        List<Instance> instances = aws.call("listing the instances of " + filter.namespace(), () -> aws.ec2()
                .describeInstancesPaginator(r -> r.filters(filters)).reservations().stream()
                .flatMap(r -> r.instances().stream()).toList());
        List<Machine> machines = new ArrayList<>();
        for (Instance i : instances) {
            Machine m = toMachine(i);
            if (m.state() != MachineState.TERMINATED) {
                machines.add(m);
            }
        }
        machines.sort(Comparator.comparing(Machine::launchedAt).thenComparing(Machine::id));
        return machines;
    }

    @Override
    public Optional<Machine> find(String id) {
        return instance(id).filter(i -> i.state().name() != InstanceStateName.TERMINATED).map(this::toMachine);
    }

    /** The instance {@code id} in any state, terminated included; empty if EC2 does not know it. */
    Optional<Instance> instance(String id) {
        if (id == null || !id.matches("i-[0-9a-f]{8,17}")) {
            return Optional.empty();
        }
        try {
            return aws.ec2().describeInstances(r -> r.instanceIds(id)).reservations().stream()
                    .flatMap(r -> r.instances().stream()).filter(i -> id.equals(i.instanceId())).findFirst();
        } catch (SdkException e) {
            if (AwsErrors.is(e, "InvalidInstanceID.NotFound", "InvalidInstanceID.Malformed")) {
                return Optional.empty();
            }
            throw aws.explain("looking up EC2 instance " + id, e);
        }
    }

    /** The instance {@code id}, which must exist and not be terminated. */
    Instance require(String id) {
        return instance(id).filter(i -> i.state().name() != InstanceStateName.TERMINATED)
                .orElseThrow(() -> unknown(id));
    }

    @Override
    public void tag(String id, Map<String, String> tags) {
        require(id);
        aws.run("tagging EC2 instance " + id, () -> aws.ec2().createTags(r -> r.resources(id).tags(toTags(tags))));
    }

    // ---------------------------------------------------------------- stop, start, terminate

    @Override
    public void stop(String id, Duration timeout, Progress progress) {
        require(id);
        aws.run("stopping EC2 instance " + id, () -> aws.ec2().stopInstances(r -> r.instanceIds(id)));
        waitFor("waiting for EC2 instance " + id + " to stop", timeout, progress,
                o -> waiter.waitUntilInstanceStopped(byId(id), o));
    }

    @Override
    public void start(String id, Duration timeout, Progress progress) {
        Instance instance = require(id);
        Machine machine = toMachine(instance);
        Optional<Instant> expiresAt = instant(machine.tags().get(Tags.EXPIRES_AT));
        if (expiresAt.isPresent() && !Instant.now().isBefore(expiresAt.get())) {
            throw new CgrenderException("EC2 instance " + id + " reached its max lifetime at " + expiresAt.get()
                    + " and would end itself at once; terminate it (cgrender terminate " + id + ") and create a new"
                    + " box, or use an image of it (cgrender image " + id + ", cgrender recreate)");
        }
        if (instance.state().name() == InstanceStateName.STOPPING) {
            waitFor("waiting for EC2 instance " + id + " to stop before starting it", timeout, progress,
                    o -> waiter.waitUntilInstanceStopped(byId(id), o));
        }
        aws.run("starting EC2 instance " + id, () -> aws.ec2().startInstances(r -> r.instanceIds(id)));
        waitFor("waiting for EC2 instance " + id + " to run", timeout, progress,
                o -> waiter.waitUntilInstanceRunning(byId(id), o));
    }

    @Override
    public void terminate(String id, Duration timeout, Progress progress) {
        if (instance(id).filter(i -> i.state().name() != InstanceStateName.TERMINATED).isEmpty()) {
            return;
        }
        try {
            aws.ec2().terminateInstances(r -> r.instanceIds(id));
        } catch (SdkException e) {
            if (!AwsErrors.is(e, "InvalidInstanceID.NotFound")) {
                throw aws.explain("terminating EC2 instance " + id, e);
            }
        }
        waitFor("waiting for EC2 instance " + id + " to terminate", timeout, progress,
                o -> waiter.waitUntilInstanceTerminated(byId(id), o));
    }

    // ---------------------------------------------------------------- access, images, gc, adoption

    @Override
    public MachineAccess accessFor(Machine machine) {
        Instance instance = require(machine.id());
        if (instance.state().name() != InstanceStateName.RUNNING) {
            throw new CgrenderException("EC2 instance " + machine.id() + " is " + instance.state().nameAsString()
                    + ", not running" + (instance.state().name() == InstanceStateName.PENDING ? "; wait for it to run"
                    : "; start it with: cgrender start " + machine.id()));
        }
        return new MachineAccess(endpoint(instance), new ConsoleHostKeySource(aws, access, settings));
    }

    private io.cgrender.core.cloud.SshEndpoint endpoint(Instance instance) {
        String user = tagValue(instance, Tags.LOGIN_USER).orElse("ubuntu");
        return access.endpoint(aws.ec2(), instance, user);
    }

    @Override
    public Optional<ImageSupport> images() {
        return Optional.of(images);
    }

    @Override
    public Optional<GarbageCollection> garbage() {
        return Optional.of(new Ec2Garbage(this));
    }

    /** Results in S3 and mail through SES, stored and sent by the boxes themselves ({@link Ec2Delivery}). */
    @Override
    public Optional<io.cgrender.core.delivery.ResultDelivery> delivery() {
        return Optional.of(delivery);
    }

    /** {@code cgrender.ec2.consistency-window}: EC2's eventual consistency, plus clock skew between callers. */
    @Override
    public Duration consistencyWindow() {
        return context.settings().duration("cgrender.ec2.consistency-window");
    }

    @Override
    public Optional<MachineAdoption> adoption() {
        return Optional.of(new Ec2Adoption(this));
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        try {
            waiter.close();
        } catch (RuntimeException e) {
            failure = e;
        }
        try {
            aws.close();
        } catch (RuntimeException e) {
            if (failure == null) {
                failure = e;
            } else {
                failure.addSuppressed(e);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    // ---------------------------------------------------------------- internals

    /** Runs an SDK waiter with the caller's timeout and cgrender's poll interval, reporting progress while it waits. */
    void waitFor(String stage, Duration timeout, Progress progress,
                 Function<WaiterOverrideConfiguration, WaiterResponse<?>> wait) {
        WaiterOverrideConfiguration config = WaiterOverrideConfiguration.builder()
                .waitTimeout(timeout)
                .maxAttempts(Integer.MAX_VALUE)
                .backoffStrategyV2(BackoffStrategy.fixedDelayWithoutJitter(settings.pollInterval()))
                .build();
        WaiterResponse<?> response;
        try (Heartbeat ignored = Heartbeat.start(progress, stage, timeout, () -> "")) {
            response = wait.apply(config);
        } catch (SdkException e) {
            String text = String.valueOf(e.getMessage());
            if (text.contains("exceeded the max wait time") || text.contains("max wait time")) {
                throw new CgrenderException("timed out after " + timeout.toSeconds() + "s " + stage, e);
            }
            if (text.contains("transitioned the waiter to failure state")) {
                throw new CgrenderException(stage + " failed: the instance went into a state it cannot leave (see:"
                        + " cgrender list)", e);
            }
            throw aws.explain(stage, e);
        }
        response.matched().exception().ifPresent(e -> {
            throw e instanceof SdkException sdk ? aws.explain(stage, sdk)
                    : new CgrenderException(stage + " failed: " + e.getMessage(), e);
        });
    }

    Machine toMachine(Instance instance) {
        Map<String, String> tags = new LinkedHashMap<>();
        for (Tag t : instance.tags()) {
            tags.put(t.key(), t.value());
        }
        MachineState state = switch (instance.state().name()) {
            case PENDING -> MachineState.PENDING;
            case RUNNING -> MachineState.RUNNING;
            case SHUTTING_DOWN, STOPPING -> MachineState.STOPPING;
            case STOPPED -> MachineState.STOPPED;
            default -> MachineState.TERMINATED;
        };
        Instant launchedAt = instant(tags.get(LAUNCHED_AT)).orElse(instance.launchTime() == null ? Instant.EPOCH
                : instance.launchTime());
        Optional<String> address = Optional.empty();
        if (state == MachineState.RUNNING) {
            try {
                address = Optional.of(endpoint(instance).address());
            } catch (CgrenderException noAddress) {
                // shown without an address; connecting says why
            }
        }
        return new Machine(instance.instanceId(), state, tags, launchedAt, address);
    }

    private static DescribeInstancesRequest byId(String id) {
        return DescribeInstancesRequest.builder().instanceIds(id).build();
    }

    static List<Tag> toTags(Map<String, String> tags) {
        return tags.entrySet().stream().map(e -> Tag.builder().key(e.getKey()).value(e.getValue()).build()).toList();
    }

    static Optional<String> tagValue(Instance instance, String key) {
        return instance.tags().stream().filter(t -> key.equals(t.key())).map(Tag::value).findFirst();
    }

    private static Optional<Instant> instant(String text) {
        try {
            return text == null || text.isBlank() ? Optional.empty() : Optional.of(Instant.parse(text));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    private static String reason(Instance instance) {
        return instance.stateReason() == null || instance.stateReason().message() == null ? "no reason given"
                : instance.stateReason().message();
    }

    CgrenderException unknown(String id) {
        return new CgrenderException("no EC2 instance " + id + " in " + aws.region().id() + " (see: cgrender list)");
    }
}
