package io.cgrender.core.box;

import io.cgrender.core.cloud.Image;
import io.cgrender.core.cloud.LaunchSpec;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.ssh.RemoteHost;
import io.cgrender.core.step.Outcome;
import io.cgrender.core.step.Step;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The steps {@link Box#create} runs for each box, each with its cleanup: a box launched and then failing is
 * terminated; an image saved and then failing is deleted. Ids are recorded in {@link Launch} the moment they exist.
 */
final class CreateSteps {

    private final Box box;

    CreateSteps(Box box) {
        this.box = box;
    }

    /** The state one box's creation shares between its steps. */
    static final class Launch {
        final BoxEnvironment env;
        final CreateOptions options;
        final int generation;
        Machine machine;
        RemoteHost host;
        Image image;

        Launch(BoxEnvironment env, CreateOptions options, int generation) {
            this.env = env;
            this.options = options;
            this.generation = generation;
        }
    }

    /** The steps that create one box: launch, await running, connect, setup (not from an image), image, ready. */
    List<Step<Launch>> forLaunch(boolean fromImage, boolean saveImage) {
        List<Step<Launch>> steps = new ArrayList<>();
        steps.add(new LaunchStep());
        steps.add(new AwaitRunningStep());
        steps.add(new ConnectStep());
        if (!fromImage) {
            steps.add(new SetupStep());
        }
        if (saveImage) {
            steps.add(new SaveImageStep());
        }
        steps.add(new ReadyStep());
        return steps;
    }

    private final class LaunchStep implements Step<Launch> {
        @Override
        public String name() {
            return "launch";
        }

        @Override
        public void run(Launch l) {
            BoxEnvironment env = l.env;
            MachineSpec spec = box.machineSpec();
            Instant expiresAt = Instant.now().plus(env.settings().maxLifetime());
            LaunchSpec launch = new LaunchSpec(env.namespace(), box.role(), spec,
                    Tags.forNewBox(env.namespace(), box.role(), spec.adminUser(), l.generation, expiresAt),
                    env.key().publicKeyLine(), env.settings().idleTimeout(), env.settings().maxLifetime(),
                    l.options.image(), l.options.instanceType(), l.options.spot());
            l.machine = env.cloud().launch(launch);
            env.console().status("launched box " + l.machine.id() + " (" + box.role() + ") on the "
                    + env.cloud().name() + " cloud in " + env.namespace());
            box.onLaunched(l.machine);
        }

        @Override
        public void cleanup(Launch l, Outcome outcome) {
            if (outcome.succeeded() || l.machine == null) {
                return;
            }
            l.env.console().status("terminating box " + l.machine.id() + " (" + outcome.name().toLowerCase() + ")");
            l.env.terminate(l.machine);
        }

        @Override
        public List<String> leftovers(Launch l) {
            return l.machine == null ? List.of()
                    : List.of("box " + l.machine.id() + " (" + box.role() + ", " + l.env.cloud().name() + " cloud)");
        }
    }

    private final class AwaitRunningStep implements Step<Launch> {
        @Override
        public String name() {
            return "await-running";
        }

        @Override
        public void run(Launch l) {
            l.machine = l.env.cloud().awaitRunning(l.machine.id(), box.timeout("running"),
                    l.env.console().progress());
            box.onRunning(l.machine);
        }
    }

    private final class ConnectStep implements Step<Launch> {
        @Override
        public String name() {
            return "connect";
        }

        @Override
        public void run(Launch l) {
            l.host = box.connect(l.env, l.machine);
        }
    }

    private final class SetupStep implements Step<Launch> {
        @Override
        public String name() {
            return "setup";
        }

        @Override
        public void run(Launch l) throws Exception {
            l.env.cloud().tag(l.machine.id(), Map.of(Tags.STAGE, Tags.Stage.SETTING_UP.tagValue()));
            l.env.console().status("setting up " + l.machine.id() + " as " + box.role());
            try {
                box.setup(l.host);
            } catch (Exception e) {
                l.env.cloud().tag(l.machine.id(), Map.of(Tags.STAGE, Tags.Stage.FAILED.tagValue()));
                throw e;
            }
        }
    }

    private final class SaveImageStep implements Step<Launch> {
        @Override
        public String name() {
            return "image";
        }

        @Override
        public void run(Launch l) {
            l.env.cloud().tag(l.machine.id(), Map.of(Tags.STAGE, Tags.Stage.READY.tagValue()));
            l.image = box.image(l.env, l.env.cloud().find(l.machine.id()).orElse(l.machine));
        }

        @Override
        public void cleanup(Launch l, Outcome outcome) {
            if (!outcome.succeeded() && l.image != null) {
                box.images(l.env).delete(l.image.id());
            }
        }

        @Override
        public List<String> leftovers(Launch l) {
            return l.image == null ? List.of() : List.of("image " + l.image.id() + " (" + box.role() + ")");
        }
    }

    private final class ReadyStep implements Step<Launch> {
        @Override
        public String name() {
            return "ready";
        }

        @Override
        public void run(Launch l) {
            l.env.cloud().tag(l.machine.id(), Map.of(Tags.STAGE, Tags.Stage.READY.tagValue()));
            l.machine = l.env.cloud().find(l.machine.id()).orElse(l.machine);
            box.onReady(l.machine, l.host);
            l.env.console().status("box " + l.machine.id() + " (" + box.role() + ") is ready");
        }
    }
}
