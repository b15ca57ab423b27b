package io.cgrender.core.box;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.UsageException;
import io.cgrender.core.claim.Claims;
import io.cgrender.core.claim.Convergence;
import io.cgrender.core.claim.RoleClaims;
import io.cgrender.core.cloud.Cloud;
import io.cgrender.core.cloud.Image;
import io.cgrender.core.cloud.ImageSupport;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.image.ImageCache;
import io.cgrender.core.cloud.MachineAdoption;
import io.cgrender.core.cloud.MachineFilter;
import io.cgrender.core.cloud.MachineState;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.price.LaunchCost;
import io.cgrender.core.ssh.RemoteHost;
import io.cgrender.core.step.StepRunner;
import io.cgrender.core.step.WithdrawnException;
import io.cgrender.core.ui.Console;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
        return create(env, options, false);
    }

    /**
     * @param converging the box is the one box of the role that {@link #ensure} wants: it gives way to an older claim
     *                   ({@link io.cgrender.core.claim.StandDownException})
     */
    private List<Machine> create(BoxEnvironment env, CreateOptions options, boolean converging) {
        bind(env);
        ImageCache cache = ImageCache.of(env, this);
        ImageCache.Choice choice = options.image().isPresent() ? ImageCache.Choice.explicit() : cache.choose();
        Optional<Image> cached = choice.image();
        Optional<String> image = cached.map(Image::id).or(options::image);
        int generation = cached.map(Image::generation).orElseGet(() -> image.map(id -> imageGeneration(env, id))
                .orElse(0));
        boolean bake = image.isEmpty() && !options.saveImage() && cache.bakesAfterSetup();
        CreateOptions launchOptions = cached.map(i -> options.withImage(i.id())).orElse(options);
        LaunchCost.of(env.cloud(), env.settings(), role(), machineSpec(), options).ifPresent(cost -> {
            cost.checkBudget(env.settings());
            if (!cost.free()) {
                env.console().status(cost.line());
            }
        });
        CreateSteps steps = new CreateSteps(this);
        Claims claims = env.claims(role());
        List<CreateSteps.Launch> launches = new ArrayList<>();
        new StepRunner(env.console(), options.keepOnError()).execute(runner -> {
            for (int i = 0; i < options.count(); i++) {
                CreateSteps.Launch launch = new CreateSteps.Launch(env, claims, launchOptions, generation);
                launch.imageChoice = choice.message();
                launches.add(launch);
                try {
                    runner.run(launch, steps.forLaunch(image.isPresent(), options.saveImage(), converging,
                            bake && i == 0));
                } catch (WithdrawnException e) {
                    throw e;
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
     * Takes an existing machine that cgrender did not launch (e.g. an EC2 instance made by hand) into the namespace
     * as a box of this role: tags it, starts it if it is stopped, verifies its host key, runs {@link #setup} (which
     * is idempotent) and marks it ready. A failed adoption hands the machine back untouched but for cgrender's tags;
     * it is never terminated. Adopted boxes carry no expiry: they are not disposable.
     */
    public final Machine adopt(BoxEnvironment env, String machineId, CreateOptions options) {
        return adopt(env, machineId, Optional.empty(), options);
    }

    /**
     * {@link #adopt(BoxEnvironment, String, CreateOptions)} logging in as {@code loginUser} (the instance's own user,
     * e.g. {@code ec2-user}) instead of the role's admin user. The first connection may use a key of the user's own
     * ({@link BoxIdentities}); once connected, the namespace's key is added to that user's authorized keys.
     */
    public final Machine adopt(BoxEnvironment env, String machineId, Optional<String> loginUser,
                               CreateOptions options) {
        bind(env);
        MachineAdoption adoption = env.cloud().adoption().orElseThrow(() -> new UsageException("the "
                + env.cloud().name() + " cloud cannot adopt existing machines; --instance-id needs --cloud ec2"));
        CreateSteps.Launch launch = new CreateSteps.Launch(env, env.claims(role()), options, 0);
        new StepRunner(env.console(), options.keepOnError()).execute(runner -> {
            try {
                runner.run(launch, new CreateSteps(this).forAdoption(adoption, machineId, loginUser,
                        options.saveImage()));
            } catch (Exception e) {
                onFailure(Optional.ofNullable(launch.machine), e);
                throw e;
            }
            return null;
        });
        return launch.machine;
    }

    /**
     * The box of this role in the namespace: the ready one (the namespace's primary box ({@code cgrender.primary})
     * first, a stopped one is started), the one another cgrender is creating, or a new one. Any number of concurrent
     * callers, on this machine and others, end up with one box ({@link Convergence}).
     */
    public final Ensured ensure(BoxEnvironment env, CreateOptions options) {
        bind(env);
        return new Convergence<>(env.claims(role()), env.settings().primaryBox(env.namespace()),
                new Convergence.Actions<Ensured>() {
                    @Override
                    public Ensured reuse(Machine ready) {
                        return new Ensured(Box.this.reuse(env, ready), true);
                    }

                    @Override
                    public Ensured create() {
                        return new Ensured(Box.this.create(env, options.withCount(1), true).get(0), false);
                    }

                    @Override
                    public void terminate(Machine orphan) {
                        env.terminate(orphan);
                    }
                }).run();
    }

    /**
     * {@code count} ready boxes of this role: the ready ones the namespace has (oldest and running first, stopped
     * ones started), and new ones for the rest.
     */
    public final List<Machine> ensure(BoxEnvironment env, int count) {
        bind(env);
        List<Machine> ready = new ArrayList<>();
        for (Machine candidate : reusableBoxes(env, env.namespace())) {
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
        Optional<String> primary = environment == null ? Optional.empty()
                : environment.settings().primaryBox(namespace);
        return RoleClaims.reusable(cloud.describe(MachineFilter.of(namespace, role())), primary).stream().findFirst();
    }

    private List<Machine> reusableBoxes(BoxEnvironment env, Namespace namespace) {
        return env.claims(role()).read().reusable(env.settings().primaryBox(namespace));
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
                .filter(Image::available)
                .min(ImageCache.NEWEST_FIRST)
                .orElseThrow(() -> new CgrenderException("there is no image of role " + role() + " in namespace "
                        + env.namespace()).fix("cgrender create " + role() + " && cgrender image " + role()));
        env.console().status("recreating " + role() + " from image " + newest.id() + " (generation "
                + newest.generation() + ")");
        String madeBy = newest.tags().get(Tags.SETUP_HASH);
        if (madeBy != null && !madeBy.equals(setupHash())) {
            env.console().warn("image " + newest.id() + " was set up by another version of " + role() + " (setup "
                    + madeBy + ", now " + setupHash() + "); make a fresh one with: cgrender create " + role()
                    + " --new --image");
        }
        return create(env, options.withCount(1).withImage(newest.id())).get(0);
    }

    /** Opens (or reuses) the verified SSH session to a running box of this role. */
    public final RemoteHost connect(BoxEnvironment env, Machine machine) {
        bind(env);
        return env.connect(machine);
    }

    /** Saves {@code machine} as the next generation image of this role, and waits until it is usable. */
    public final Image image(BoxEnvironment env, Machine machine) {
        bind(env);
        Image image = ImageCache.of(env, this).save(machine, true);
        env.console().status("saved image " + image.id() + " of " + machine.id() + " (" + role() + ", generation "
                + image.generation() + ")");
        return image;
    }

    /**
     * A hash of this box's code: the class files of its class and of its superclasses up to {@link Box}. An image
     * whose {@link Tags#SETUP_HASH} differs was set up by another version of the role.
     */
    public final String setupHash() {
        try {
            java.security.MessageDigest digest = java.security.MessageDigest.getInstance("SHA-256");
            for (Class<?> c = getClass(); c != Box.class && c != null; c = c.getSuperclass()) {
                String resource = "/" + c.getName().replace('.', '/') + ".class";
                try (java.io.InputStream in = c.getResourceAsStream(resource)) {
                    digest.update(c.getName().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    if (in != null) {
                        digest.update(in.readAllBytes());
                    }
                }
            }
            return java.util.HexFormat.of().formatHex(digest.digest()).substring(0, 16);
        } catch (java.io.IOException | java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot hash the class files of " + getClass().getName(), e);
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
                        + " not found in namespace " + env.namespace()).see("cgrender list-images " + role()));
    }
}
