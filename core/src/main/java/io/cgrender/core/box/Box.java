package io.cgrender.core.box;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.cloud.Cloud;
import io.cgrender.core.cloud.Image;
import io.cgrender.core.cloud.ImageSupport;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.cloud.MachineFilter;
import io.cgrender.core.cloud.MachineState;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.ssh.RemoteHost;
import io.cgrender.core.step.StepRunner;
import io.cgrender.core.ui.Console;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A kind of machine, defined by how it is set up. Subclasses carry a {@link Role} annotation, have a public no-arg
 * constructor, implement {@link #setup} and may override the event hooks; the lifecycle itself is fixed here:
 * <pre>
 *   launch → await running → verify host key &amp; connect → setup → (image) → ready
 * </pre>
 * Each stage is a {@link Step} whose cleanup undoes it if a later stage fails or the user presses Ctrl-C, so a
 * failed create leaves nothing running (unless asked to with keep-on-error, which prints what it kept).
 * <p>
 * A box instance serves one command invocation: the lifecycle methods remember the environment they were given so
 * that hooks and {@link #setup} can use {@link #console()} and {@link #commandTimeout()}.
 */
public abstract class Box {

    private BoxEnvironment environment;

    protected Box() {
        if (getClass().getAnnotation(Role.class) == null) {
            throw new IllegalStateException(getClass().getName() + " has no @Role annotation");
        }
    }

    /** The role name, from {@link Role#name()}. */
    public final String role() {
        return getClass().getAnnotation(Role.class).name();
    }

    public final String description() {
        return getClass().getAnnotation(Role.class).description();
    }

    /** What this box needs of a machine. */
    public abstract MachineSpec machineSpec();

    // ---------------------------------------------------------------- the lifecycle (final)

    /** A box that {@link #ensure} found running, or created. */
    public record Ensured(Machine machine, boolean reused) {
    }

    /**
     * Creates {@link CreateOptions#count()} new boxes and returns them ready. All or nothing: if one fails, every box
     * this call launched is terminated (unless keep-on-error).
     */
    public final List<Machine> create(BoxEnvironment env, CreateOptions options) {
        bind(env);
        Optional<String> image = options.image();
        int generation = image.map(id -> imageGeneration(env, id)).orElse(0);
        CreateSteps steps = new CreateSteps(this);
        List<CreateSteps.Launch> launches = new ArrayList<>();
        new StepRunner(env.console(), options.keepOnError()).execute(runner -> {
            for (int i = 0; i < options.count(); i++) {
                CreateSteps.Launch launch = new CreateSteps.Launch(env, options, generation);
                launches.add(launch);
                try {
                    runner.run(launch, steps.forLaunch(image.isPresent(), options.saveImage()));
                } catch (Exception e) {
                    onFailure(Optional.ofNullable(launch.machine), e);
                    throw e;
                }
            }
            return null;
        });
        return launches.stream().map(l -> l.machine).toList();
    }

    /**
     * Reuses the oldest ready box of this role in the namespace (starting it if it is stopped), or creates one.
     */
    public final Ensured ensure(BoxEnvironment env, CreateOptions options) {
        bind(env);
        Optional<Machine> candidate = reusable(env.cloud(), env.namespace());
        if (candidate.isEmpty()) {
            return new Ensured(create(env, options.withCount(1)).get(0), false);
        }
        return new Ensured(reuse(env, candidate.get()), true);
    }

    /**
     * {@code count} ready boxes of this role: the ready ones the namespace has (oldest and running first, stopped
     * ones started), and new ones for the rest.
     */
    public final List<Machine> ensure(BoxEnvironment env, int count) {
        bind(env);
        List<Machine> ready = new ArrayList<>();
        for (Machine candidate : reusableBoxes(env.cloud(), env.namespace())) {
            if (ready.size() == count) {
                break;
            }
            ready.add(reuse(env, candidate));
        }
        if (ready.size() < count) {
            ready.addAll(create(env, CreateOptions.defaults().withCount(count - ready.size())));
        }
        return ready;
    }

    /**
     * The box {@link #ensure} would reuse: the oldest ready box of this role in {@code namespace}, a running one
     * before a stopped one. Launches nothing.
     */
    public final Optional<Machine> reusable(Cloud cloud, Namespace namespace) {
        return reusableBoxes(cloud, namespace).stream().findFirst();
    }

    private List<Machine> reusableBoxes(Cloud cloud, Namespace namespace) {
        return cloud.describe(MachineFilter.of(namespace, role())).stream()
                .filter(m -> m.stage().orElse(null) == Tags.Stage.READY)
                .filter(m -> m.state() == MachineState.RUNNING || m.state() == MachineState.STOPPED)
                .sorted(Comparator.comparing((Machine m) -> m.state() != MachineState.RUNNING)
                        .thenComparing(Machine::launchedAt))
                .toList();
    }

    private Machine reuse(BoxEnvironment env, Machine machine) {
        if (machine.state() == MachineState.STOPPED) {
            env.console().status("starting stopped box " + machine.id() + " (" + role() + ")");
            env.cloud().start(machine.id(), timeout("state-change"), env.console().progress());
        }
        Machine running = env.cloud().awaitRunning(machine.id(), timeout("running"), env.console().progress());
        connect(env, running);
        return running;
    }

    /** Creates a box from the newest image of this role, skipping setup. */
    public final Machine recreate(BoxEnvironment env, CreateOptions options) {
        bind(env);
        Image newest = images(env).list(env.namespace(), role()).stream()
                .max(Comparator.comparingInt(Image::generation))
                .orElseThrow(() -> new CgrenderException("there is no image of role " + role() + " in namespace "
                        + env.namespace() + "; make one with: cgrender image " + role()));
        env.console().status("recreating " + role() + " from image " + newest.id() + " (generation "
                + newest.generation() + ")");
        return create(env, options.withCount(1).withImage(newest.id())).get(0);
    }

    /** Opens (or reuses) the verified SSH session to a running box of this role. */
    public final RemoteHost connect(BoxEnvironment env, Machine machine) {
        bind(env);
        return env.connect(machine);
    }

    /** Saves {@code machine} as the next generation image of this role. */
    public final Image image(BoxEnvironment env, Machine machine) {
        bind(env);
        ImageSupport images = images(env);
        int generation = images.list(env.namespace(), role()).stream().mapToInt(Image::generation).max().orElse(0) + 1;
        Map<String, String> tags = Map.of(
                Tags.NAME, env.namespace() + role() + "#gen" + generation,
                Tags.NAMESPACE, env.namespace().toString(),
                Tags.ROLE, role(),
                Tags.GENERATION, Integer.toString(generation),
                Tags.LOGIN_USER, machineSpec().adminUser());
        String stage = machine.tags().getOrDefault(Tags.STAGE, Tags.Stage.READY.tagValue());
        env.cloud().tag(machine.id(), Map.of(Tags.STAGE, Tags.Stage.IMAGING.tagValue()));
        try {
            Image image = images.create(machine, tags, timeout("state-change"), env.console().progress());
            env.console().status("saved image " + image.id() + " of " + machine.id() + " (" + role() + ", generation "
                    + generation + ")");
            return image;
        } finally {
            env.cloud().tag(machine.id(), Map.of(Tags.STAGE, stage));
        }
    }

    /** Terminates {@code machine}, forgets its host key and closes its session. Idempotent. */
    public final void terminate(BoxEnvironment env, Machine machine) {
        bind(env);
        env.terminate(machine);
    }

    // ---------------------------------------------------------------- hooks and work (for subclasses)

    /** The cloud gave the new machine an id; it may not run yet. */
    protected void onLaunched(Machine machine) {
    }

    /** The machine runs; SSH may not answer yet. */
    protected void onRunning(Machine machine) {
    }

    /** Setup finished (or was skipped for a box launched from an image); the box is about to be handed out. */
    protected void onReady(Machine machine, RemoteHost host) {
    }

    /**
     * Creating failed; called before anything is cleaned up, so it can collect diagnostics from the machine, if
     * there is one.
     */
    protected void onFailure(Optional<Machine> machine, Exception failure) {
    }

    /** Turns a fresh machine into this kind of box. Runs over SSH; must be idempotent. */
    protected abstract void setup(RemoteHost host) throws Exception;

    /** Available while a lifecycle method runs. */
    protected final Console console() {
        return environment().console();
    }

    /** How long one setup command may take ({@code cgrender.timeouts.command}). */
    protected final Duration commandTimeout() {
        return timeout("command");
    }

    // ---------------------------------------------------------------- internals

    private void bind(BoxEnvironment env) {
        this.environment = env;
    }

    private BoxEnvironment environment() {
        if (environment == null) {
            throw new IllegalStateException("no lifecycle method of " + role() + " is running");
        }
        return environment;
    }

    Duration timeout(String name) {
        return environment().settings().timeout(name);
    }

    ImageSupport images(BoxEnvironment env) {
        return env.cloud().images().orElseThrow(() -> new CgrenderException("the " + env.cloud().name()
                + " cloud has no images"));
    }

    private int imageGeneration(BoxEnvironment env, String imageId) {
        return images(env).list(env.namespace(), role()).stream()
                .filter(i -> i.id().equals(imageId))
                .findFirst()
                .map(Image::generation)
                .orElseThrow(() -> new CgrenderException("image " + imageId + " of role " + role()
                        + " not found in namespace " + env.namespace() + "; see: cgrender list-images " + role()));
    }
}
