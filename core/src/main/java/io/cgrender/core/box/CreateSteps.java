package io.cgrender.core.box;

import io.cgrender.core.claim.Claims;
import io.cgrender.core.claim.LeaseKeeper;
import io.cgrender.core.cloud.Image;
import io.cgrender.core.image.ImageCache;
import io.cgrender.core.cloud.LaunchSpec;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.cloud.MachineAdoption;
import io.cgrender.core.keys.AuthorizedKeys;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.CgrenderException;
import io.cgrender.core.ssh.ExecResult;
import io.cgrender.core.ssh.RemoteHost;
import io.cgrender.core.ssh.Shell;
import io.cgrender.core.step.Outcome;
import io.cgrender.core.step.Step;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The steps {@link Box#create} runs for each box, each with its cleanup: a box launched and then failing is
 * terminated; an image saved and then failing is deleted. Ids are recorded in {@link Launch} the moment they exist.
 * A box carries its creator's lease from its launch until it is ready ({@link Claims}); the one box {@link Box#ensure}
 * wants also checks, after its launch and before it is handed out, that no older claim of its role exists.
 */
final class CreateSteps {

    private final Box box;

    CreateSteps(Box box) {
        this.box = box;
    }

    /** The state one box's creation shares between its steps. */
    static final class Launch {
        final BoxEnvironment env;
        final Claims claims;
        final CreateOptions options;
        final int generation;
        Machine machine;
        LeaseKeeper lease;
        RemoteHost host;
        Image image;
        /** Which image the box launches from, or why it is set up from scratch; said once it has launched. */
        Optional<String> imageChoice = Optional.empty();
        /** The keys adoption added to the login user's authorized_keys (taken out again on failure). */
        List<String> authorized = new ArrayList<>();

        Launch(BoxEnvironment env, Claims claims, CreateOptions options, int generation) {
            this.env = env;
            this.claims = claims;
            this.options = options;
            this.generation = generation;
        }

        /** Stops renewing the lease; idempotent. */
        void releaseLease() {
            if (lease != null) {
                lease.close();
            }
        }
    }

    /**
     * The steps that create one box: launch, (claim check), await running, connect, setup (not from an image),
     * (last claim check), image (asked for) or bake (after a from-scratch setup, {@link ImageCache}), ready.
     */
    List<Step<Launch>> forLaunch(boolean fromImage, boolean saveImage, boolean converging, boolean bake) {
        List<Step<Launch>> steps = new ArrayList<>();
        steps.add(new LaunchStep());
        if (converging) {
            steps.add(new ClaimCheckStep(false));
        }
        steps.add(new AwaitRunningStep());
        steps.add(new ConnectStep());
        if (!fromImage) {
            steps.add(new AgentStep());
            steps.add(new SetupStep());
        }
        if (converging) {
            steps.add(new ClaimCheckStep(true));
        }
        if (saveImage) {
            steps.add(new SaveImageStep());
        } else if (bake) {
            steps.add(new BakeStep());
        }
        steps.add(new ReadyStep());
        return steps;
    }

    /**
     * The steps that adopt an existing machine: adopt, await running, connect (as {@code loginUser} if given, with the
     * user's own key if given), authorize the namespace's key, setup, image, ready.
     */
    List<Step<Launch>> forAdoption(MachineAdoption adoption, String machineId, Optional<String> loginUser,
                                   boolean saveImage) {
        List<Step<Launch>> steps = forLaunch(false, saveImage, false, false);
        steps.set(0, new AdoptStep(adoption, machineId, loginUser));
        steps.add(steps.indexOf(steps.stream().filter(s -> s instanceof ConnectStep).findFirst().orElseThrow()) + 1,
                new AuthorizeStep());
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
            Duration maxLifetime = l.options.maxLifetime().orElseGet(() -> env.settings().maxLifetime());
            boolean expires = !l.options.noExpiry();
            Optional<Instant> expiresAt = expires ? Optional.of(Instant.now().plus(maxLifetime)) : Optional.empty();
            LaunchSpec launch = new LaunchSpec(env.namespace(), box.role(), spec,
                    Tags.forNewBox(env.namespace(), box.role(), spec.adminUser(), l.generation, expiresAt,
                            env.settings().idleTimeout(), l.claims.newLease()),
                    env.key().publicKeyLine(), env.settings().idleTimeout(), maxLifetime,
                    env.settings().orphanTimeout(), l.options.image(), l.options.instanceType(),
                    l.options.spot().orElseGet(() -> env.settings().roleDefault(box.role(), "spot")
                            .map(Boolean::parseBoolean).orElse(false)), expires);
            l.machine = env.cloud().launch(launch);
            l.lease = l.claims.keep(l.machine.id());
            env.console().status("launched box " + l.machine.id() + " (" + box.role() + ") on the "
                    + env.cloud().name() + " cloud in " + env.namespace());
            l.imageChoice.ifPresent(env.console()::status);
            box.onLaunched(l.machine);
        }

        @Override
        public void cleanup(Launch l, Outcome outcome) {
            l.releaseLease();
            if (outcome.succeeded() || l.machine == null) {
                return;
            }
            l.env.console().status("terminating box " + l.machine.id() + " (" + (outcome == Outcome.WITHDRAWN
                    ? "another box of " + box.role() + " came first" : outcome.name().toLowerCase()) + ")");
            l.env.terminate(l.machine);
        }

        @Override
        public List<String> leftovers(Launch l) {
            return l.machine == null ? List.of()
                    : List.of("box " + l.machine.id() + " (" + box.role() + ", " + l.env.cloud().name() + " cloud)");
        }
    }

    /** Adoption's first step instead of {@link LaunchStep}: the machine exists; on failure it is handed back. */
    private final class AdoptStep implements Step<Launch> {
        private final MachineAdoption adoption;
        private final String machineId;
        private final Optional<String> loginUser;

        AdoptStep(MachineAdoption adoption, String machineId, Optional<String> loginUser) {
            this.adoption = adoption;
            this.machineId = machineId;
            this.loginUser = loginUser;
        }

        @Override
        public String name() {
            return "adopt";
        }

        @Override
        public void run(Launch l) {
            BoxEnvironment env = l.env;
            MachineSpec role = box.machineSpec();
            MachineSpec spec = new MachineSpec(role.os(), role.minVcpus(), role.minMemoryGib(), role.diskGib(),
                    role.recommendedInstanceType(), loginUser.orElse(role.adminUser()));
            Map<String, String> tags = new LinkedHashMap<>(Tags.forNewBox(env.namespace(), box.role(),
                    spec.adminUser(), 0, Instant.now(), env.settings().idleTimeout(), l.claims.newLease()));
            // An adopted machine has no watchdog of cgrender's: it does not end itself.
            tags.remove(Tags.EXPIRES_AT);
            tags.remove(Tags.IDLE_TIMEOUT);
            LaunchSpec adopt = new LaunchSpec(env.namespace(), box.role(), spec, tags, env.key().publicKeyLine(),
                    env.settings().idleTimeout(), env.settings().maxLifetime(), env.settings().orphanTimeout(),
                    Optional.empty(), Optional.empty(), false);
            l.machine = adoption.adopt(machineId, adopt, box.timeout("state-change"), env.console().progress());
            l.lease = l.claims.keep(l.machine.id());
            env.console().status("adopted " + l.machine.id() + " as a box of " + box.role() + " in "
                    + env.namespace());
            box.onLaunched(l.machine);
        }

        @Override
        public void cleanup(Launch l, Outcome outcome) {
            l.releaseLease();
            if (outcome.succeeded() || l.machine == null) {
                return;
            }
            l.env.console().status("handing " + l.machine.id() + " back (" + outcome.name().toLowerCase()
                    + "): cgrender's tags are removed, the machine itself is left as it is");
            l.env.ssh().disconnect(l.machine.id());
            adoption.release(l.machine.id());
        }

        @Override
        public List<String> leftovers(Launch l) {
            return l.machine == null ? List.of()
                    : List.of("adopted box " + l.machine.id() + " (" + box.role() + ", still tagged)");
        }
    }

    /**
     * Adoption, once connected (perhaps with the user's own key): the namespace's key and the registered keys
     * {@code cgrender.keys} selects join the login user's {@code ~/.ssh/authorized_keys}, each unless it is there
     * already, so that later sessions log in with them as to any box. An adopted machine keeps its own IAM role, so its
     * agent cannot read the namespace's keys: these are the ones it authorizes. Taken out again if the adoption fails,
     * so the machine is handed back as it was.
     */
    private final class AuthorizeStep implements Step<Launch> {
        @Override
        public String name() {
            return "authorize";
        }

        @Override
        public void run(Launch l) {
            Map<String, String> wanted = new LinkedHashMap<>();
            wanted.put(l.env.key().publicKeyLine(), "cgrender " + l.env.namespace());
            l.env.cloud().keys().ifPresent(registry -> AuthorizedKeys.from(l.env.settings()).select(registry.list())
                    .forEach(k -> wanted.putIfAbsent(k.publicKeyLine(), "cgrender key " + k.name())));
            for (Map.Entry<String, String> key : wanted.entrySet()) {
                String blob = keyBlob(key.getKey());
                String line = Shell.quote(key.getKey().split("\\s+")[0] + " " + blob + " " + key.getValue());
                ExecResult result = l.host.exec("set -e; umask 077; mkdir -p ~/.ssh; f=~/.ssh/authorized_keys;"
                        + " touch \"$f\"; if grep -qF " + Shell.quote(blob) + " \"$f\"; then echo present; else"
                        + " if [ -s \"$f\" ] && [ -n \"$(tail -c1 \"$f\")\" ]; then echo >> \"$f\"; fi;"
                        + " printf '%s\\n' " + line + " >> \"$f\"; echo added; fi", box.timeout("command"));
                if (!result.succeeded()) {
                    throw new CgrenderException("cannot add " + key.getValue() + "'s key to ~/.ssh/authorized_keys on "
                            + l.machine.id() + " (exit " + result.exitCode() + "): " + result.stderr().strip());
                }
                if (result.stdout().strip().equals("added")) {
                    l.authorized.add(blob);
                }
            }
            if (!l.authorized.isEmpty()) {
                l.env.console().status("authorized " + l.authorized.size() + " key(s) of " + l.env.namespace()
                        + " on " + l.machine.id() + " (the namespace's key " + l.env.key().fingerprint()
                        + " and registered keys), so later sessions need no key of your own");
            }
        }

        @Override
        public void cleanup(Launch l, Outcome outcome) {
            if (outcome.succeeded() || l.authorized.isEmpty() || l.host == null || !l.host.isOpen()) {
                return;
            }
            StringBuilder filter = new StringBuilder();
            l.authorized.forEach(blob -> filter.append(" -e ").append(Shell.quote(blob)));
            l.host.exec("umask 077; f=~/.ssh/authorized_keys; if [ -f \"$f\" ]; then grep -vF" + filter
                    + " \"$f\" > \"$f.cgrender\"; cat \"$f.cgrender\" > \"$f\"; rm -f \"$f.cgrender\"; fi",
                    box.timeout("command"));
            l.authorized.clear();
        }

        /** The base64 part of an OpenSSH public key line: what identifies the key, whatever its comment. */
        private static String keyBlob(String publicKeyLine) {
            return publicKeyLine.strip().split("\\s+")[1];
        }
    }

    /**
     * Gives way to an older claim of the role ({@link Claims#check}); the last one waits until every earlier launch is
     * visible ({@link Claims#finalCheck}).
     */
    private static final class ClaimCheckStep implements Step<Launch> {
        private final boolean last;

        ClaimCheckStep(boolean last) {
            this.last = last;
        }

        @Override
        public String name() {
            return last ? "last claim check" : "claim check";
        }

        @Override
        public void run(Launch l) {
            if (last) {
                l.claims.finalCheck(l.machine);
            } else {
                l.claims.check(l.machine);
            }
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

    /** The box agent, installed by the cloud on every box it sets up ({@link io.cgrender.core.agent.BoxAgents}). */
    private final class AgentStep implements Step<Launch> {
        @Override
        public String name() {
            return "agent";
        }

        @Override
        public void run(Launch l) {
            l.env.cloud().agents().ifPresent(agents -> agents.install(l.machine, l.host, box.timeout("command")));
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

    /**
     * Images the box just set up from scratch without waiting for the image to be finished, while the creator's lease
     * still holds the box: no job runs on it yet, so the image is of the setup alone. Its failure is a warning.
     */
    private final class BakeStep implements Step<Launch> {
        @Override
        public String name() {
            return "bake";
        }

        @Override
        public void run(Launch l) {
            ImageCache.of(l.env, box).bake(l.env.cloud().find(l.machine.id()).orElse(l.machine));
        }
    }

    private final class ReadyStep implements Step<Launch> {
        @Override
        public String name() {
            return "ready";
        }

        @Override
        public void run(Launch l) {
            l.releaseLease();
            l.env.cloud().tag(l.machine.id(), Claims.readyTags());
            l.machine = l.env.cloud().find(l.machine.id()).orElse(l.machine);
            box.onReady(l.machine, l.host);
            l.env.console().status("box " + l.machine.id() + " (" + box.role() + ") is ready");
        }
    }
}
