package io.cgrender.ec2;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.box.BoxLifetime;
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
import io.cgrender.core.ui.Progress;
import io.cgrender.core.ui.Wait;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceStateName;
import software.amazon.awssdk.services.ec2.model.Tag;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Boxes on Amazon EC2. A box is an instance tagged with the cgrender tag schema ({@link Tags}); the namespace's key
 * pair and security group are made on first use and shared by its boxes. Nothing is kept between commands but what
 * the tags say, so any number of cgrender processes can share the boxes.
 * <p>
 * Waits poll the instance with the caller's timeout and report what they see, and calls naming an instance are
 * repeated while EC2 may not know it yet ({@link InstanceWaits}). How instances are reached is
 * {@link InstanceAccess}'s business.
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
    private final NamespaceKeyPair keyPairs;
    private final NamespaceSecurityGroup securityGroups;
    private final BaseImages baseImages;
    private final Ec2Images images;
    private final Ec2Delivery delivery;
    private final InstanceWaits instances;
    private final Ec2Agents agents;
    private final Ec2Pricing pricing;
    /** The instances last described, by id: what their prices are read from. */
    private final Map<String, Instance> described = new ConcurrentHashMap<>();

    Ec2Cloud(CloudContext context, Ec2Settings settings, AwsClients aws, InstanceAccess access) {
        this.context = context;
        this.settings = settings;
        this.aws = aws;
        this.access = access;
        this.console = context.console();
        this.instances = new InstanceWaits(aws, settings.pollInterval(), this::consistencyWindow);
        this.keyPairs = new NamespaceKeyPair(aws, settings.pollInterval(), console);
        this.securityGroups = new NamespaceSecurityGroup(aws, settings, console);
        this.baseImages = new BaseImages(aws, settings, console);
        this.images = new Ec2Images(this);
        this.delivery = new Ec2Delivery(this, ResultSettings.from(context.settings()));
        this.pricing = new Ec2Pricing(this, Ec2Pricing.catalog(context.settings()));
        this.agents = new Ec2Agents(this);
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

    /** The agents of the namespace's boxes: an SNS topic for all, an SQS queue each ({@link Ec2Agents}). */
    @Override
    public Optional<io.cgrender.core.agent.BoxAgents> agents() {
        return Optional.of(agents);
    }

    Ec2Agents ec2Agents() {
        return agents;
    }

    // ---------------------------------------------------------------- launch and wait

    @Override
    public Machine launch(LaunchSpec spec) {
        return toMachine(new Ec2Launch(this, spec).run());
    }

    /** Records that this process launched {@code id}, the moment RunInstances answered. */
    void launched(String id) {
        instances.launched(id);
    }

    @Override
    public Machine awaitRunning(String id, Duration timeout, Progress progress) {
        return toMachine(instances.await(id, "waiting for EC2 instance " + id + " to run", timeout, progress, i -> {
            String state = i.state().nameAsString();
            return switch (i.state().name()) {
                case RUNNING -> Wait.Poll.ready(i);
                case STOPPING, STOPPED -> throw new CgrenderException("EC2 instance " + id + " is " + state)
                        .fix("cgrender start " + id);
                case SHUTTING_DOWN, TERMINATED -> throw new CgrenderException("EC2 instance " + id + " was"
                        + " terminated (" + reason(i) + ")");
                default -> Wait.Poll.notYet(state);
            };
        }, () -> {
            throw unknown(id);
        }));
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

    /** The instance {@code id} in any state, terminated included; empty if EC2 does not know it (yet). */
    Optional<Instance> instance(String id) {
        return instances.lookup(id);
    }

    /** The instance {@code id}, which must exist and not be terminated. */
    /** The instance as last described, else as described now. */
    Instance described(String id) {
        Instance known = described.get(id);
        return known != null ? known : require(id);
    }

    /** On-demand prices from the bundled catalog and the configuration, spot prices from the price history. */
    @Override
    public Optional<io.cgrender.core.price.Pricing> pricing() {
        return Optional.of(pricing);
    }

    Ec2Pricing ec2Pricing() {
        return pricing;
    }

    Instance require(String id) {
        return instance(id).filter(i -> i.state().name() != InstanceStateName.TERMINATED)
                .orElseThrow(() -> unknown(id));
    }

    @Override
    public void tag(String id, Map<String, String> tags) {
        Duration timeout = context.settings().timeout("state-change");
        known(id, timeout);
        instances.act(id, "tagging EC2 instance " + id, timeout, Progress.NONE,
                () -> aws.ec2().createTags(r -> r.resources(id).tags(toTags(tags))));
    }

    // ---------------------------------------------------------------- stop, start, terminate

    @Override
    public void stop(String id, Duration timeout, Progress progress) {
        known(id, timeout);
        instances.act(id, "stopping EC2 instance " + id, timeout, progress,
                () -> aws.ec2().stopInstances(r -> r.instanceIds(id)));
        awaitState(id, InstanceStateName.STOPPED, "waiting for EC2 instance " + id + " to stop", timeout, progress);
    }

    @Override
    public void start(String id, Duration timeout, Progress progress) {
        Instance instance = known(id, timeout);
        Machine machine = toMachine(instance);
        Optional<Instant> expiresAt = instant(machine.tags().get(Tags.EXPIRES_AT));
        if (BoxLifetime.of(machine).expired(Instant.now())) {
            throw new CgrenderException("EC2 instance " + id + " reached its max lifetime at " + expiresAt.get()
                    + " and would end itself at once; terminate it and create a new box, or make an image of it and"
                    + " recreate the box from that").fix("cgrender terminate " + id);
        }
        if (instance.state().name() == InstanceStateName.STOPPING) {
            awaitState(id, InstanceStateName.STOPPED, "waiting for EC2 instance " + id + " to stop before starting it",
                    timeout, progress);
        }
        instances.act(id, "starting EC2 instance " + id, timeout, progress,
                () -> aws.ec2().startInstances(r -> r.instanceIds(id)));
        awaitState(id, InstanceStateName.RUNNING, "waiting for EC2 instance " + id + " to run", timeout, progress);
    }

    /**
     * Terminates the instance, always asking EC2 to: an instance launched a moment ago may be unknown to
     * DescribeInstances, yet running. While EC2 answers that it does not know the id, the call is repeated, for as
     * long as the id may be too new to be known ({@link InstanceWaits}); after that it is taken as gone.
     */
    @Override
    public void terminate(String id, Duration timeout, Progress progress) {
        if (!InstanceWaits.isInstanceId(id)) {
            return;
        }
        if (!instances.act(id, "terminating EC2 instance " + id, timeout, progress,
                () -> aws.ec2().terminateInstances(r -> r.instanceIds(id)))) {
            console.verbose("EC2 does not know instance " + id + " (asked for " + consistencyWindow().toSeconds()
                    + "s, cgrender.ec2.consistency-window): taking it as gone");
            agents.closeChannel(id);
            return;
        }
        instances.await(id, "waiting for EC2 instance " + id + " to terminate", timeout, progress,
                i -> i.state().name() == InstanceStateName.TERMINATED ? Wait.Poll.ready(i)
                        : Wait.Poll.notYet(i.state().nameAsString()), () -> null);
        agents.closeChannel(id);
    }

    // ---------------------------------------------------------------- access, images, gc, adoption

    @Override
    public MachineAccess accessFor(Machine machine) {
        Instance instance = require(machine.id());
        if (instance.state().name() != InstanceStateName.RUNNING) {
            CgrenderException notRunning = new CgrenderException("EC2 instance " + machine.id() + " is "
                    + instance.state().nameAsString() + ", not running");
            if (instance.state().name() == InstanceStateName.PENDING) {
                throw new CgrenderException(notRunning.getMessage() + "; wait for it to run");
            }
            throw notRunning.fix("cgrender start " + machine.id());
        }
        return new MachineAccess(endpoint(instance), new Ec2HostKeySource(settings, context.env(),
                new ConsoleHostKeySource(aws, access, settings), console));
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

    /** The namespace's registered keys: key pairs tagged with it ({@link Ec2KeyRegistry}). */
    @Override
    public Optional<io.cgrender.core.keys.KeyRegistry> keys() {
        return Optional.of(new Ec2KeyRegistry(aws, keyPairs, context.namespace()));
    }

    @Override
    public Optional<MachineAdoption> adoption() {
        return Optional.of(new Ec2Adoption(this));
    }

    @Override
    public void close() {
        aws.close();
    }

    // ---------------------------------------------------------------- internals

    /**
     * Waits until the instance is {@code wanted} after a stop or start, which only its termination prevents: any
     * other state, the one before the call included (EC2 may still describe it for a moment), is "not yet".
     */
    private void awaitState(String id, InstanceStateName wanted, String stage, Duration timeout, Progress progress) {
        instances.await(id, stage, timeout, progress, i -> switch (i.state().name()) {
            case SHUTTING_DOWN, TERMINATED -> throw new CgrenderException("EC2 instance " + id + " was terminated ("
                    + reason(i) + ")");
            default -> i.state().name() == wanted ? Wait.Poll.ready(i) : Wait.Poll.notYet(i.state().nameAsString());
        }, () -> {
            throw unknown(id);
        });
    }

    /** The instance {@code id}, which must exist and not be terminated; waited for while it may be too new. */
    private Instance known(String id, Duration timeout) {
        return instances.await(id, "looking up EC2 instance " + id, timeout, Progress.NONE, i -> {
            if (i.state().name() == InstanceStateName.TERMINATED) {
                throw unknown(id);
            }
            return Wait.Poll.ready(i);
        }, () -> {
            throw unknown(id);
        });
    }

    Machine toMachine(Instance instance) {
        described.put(instance.instanceId(), instance);
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
        return new CgrenderException("no EC2 instance " + id + " in " + aws.region().id()).see("cgrender list");
    }
}
