package io.cgrender.cli.commands;

import com.typesafe.config.ConfigUtil;
import io.cgrender.cli.AbstractCommand;
import io.cgrender.cli.FreshOption;
import io.cgrender.cli.IdentityOption;
import io.cgrender.cli.Session;
import io.cgrender.core.UsageException;
import io.cgrender.core.box.Box;
import io.cgrender.core.box.BoxIdentities;
import io.cgrender.core.box.CreateOptions;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.config.SavedDefaults;
import io.cgrender.core.config.Settings;
import io.cgrender.core.ssh.UserIdentity;
import io.cgrender.core.ui.Durations;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

@Command(name = "create",
        footer = {"", "Examples:",
                "  cgrender create openscad-ubuntu-box",
                "  cgrender create openscad-ubuntu-box --new --lifetime 24h",
                "  cgrender --cloud ec2 create openscad-ubuntu-box --instance-type c6i.large",
                "  cgrender --cloud ec2 create openscad-ubuntu-box --instance-id i-0123456789abcdef0 \\",
                "      --identity ~/.ssh/my-key-pair.pem --login-user ubuntu --save-defaults"},
        description = {
        "Create a box of ROLE, or reuse the ready box of that role in the namespace.",
        "Prints the box id(s) on standard output."})
public final class CreateCommand extends AbstractCommand {

    @Parameters(paramLabel = "ROLE", description = "The role, e.g. openscad-ubuntu-box (see: cgrender list-roles).")
    String role;

    @Option(names = "--count", paramLabel = "N", defaultValue = "1",
            description = "Create N new boxes (all or none). Implies --new.")
    int count;

    @Option(names = "--new", description = "Always create a new box, even if one of the role is ready.")
    boolean alwaysNew;

    @Option(names = "--spot", description = "Use spot capacity where the cloud has it.")
    boolean spot;

    @Option(names = "--instance-type", paramLabel = "TYPE", description = "Instance type instead of the role's.")
    String instanceType;

    @Option(names = "--ami", paramLabel = "AMI-ID", description = "EC2: start from this base image instead of the"
            + " role's OS image (the SSM parameter, else the newest image of the OS's publisher).")
    String ami;

    @Option(names = "--image", description = "Save an image of the box once it is set up.")
    boolean saveImage;

    @Option(names = "--instance-id", paramLabel = "ID", description = "EC2: adopt this existing instance as the box"
            + " (started if it is stopped, then set up) instead of launching one. It must belong to no other"
            + " namespace, and accept the namespace's key or the --identity key. Its host key comes from"
            + " cgrender.ec2.host-keys, else ~/.ssh/known_hosts under HostKeyAlias=ID, else its console.")
    String instanceId;

    @Option(names = "--identity", paramLabel = "PEM-FILE", description = "With --instance-id: log in the first time"
            + " with this private key file of yours (mode 0600; e.g. the PEM file of the instance's EC2 key pair),"
            + " then authorize the namespace's key there. Never copied or uploaded; --save-defaults remembers its path"
            + " for the instance (ssh, rsync, render and run offer it too).")
    Path identity;

    @Option(names = "--login-user", paramLabel = "USER", description = "With --instance-id: the instance's user to"
            + " log in as (it needs sudo), e.g. ec2-user or admin, instead of the role's (ubuntu).")
    String loginUser;

    @Option(names = "--save-defaults", description = "Remember this command's cloud, region, profile and namespace,"
            + " the role's --instance-type, --spot and --ami, and the adopted instance's --identity, as defaults for later commands (in"
            + " $XDG_CONFIG_HOME/cgrender/defaults.conf).")
    boolean saveDefaults;

    @Option(names = "--set-primary", description = "Make the box the namespace's primary box: create and render use"
            + " it before any other ready box of its role.")
    boolean setPrimary;

    @Option(names = "--keep-on-error", description = "On failure, keep what was created and print its ids.")
    boolean keepOnError;

    @Option(names = "--lifetime", paramLabel = "DURATION", description = "The new box ends itself this long after"
            + " its launch at the latest (e.g. 24h, 90m, 1h30m, PT2H), instead of cgrender.box.max-lifetime (8h).")
    String lifetime;

    @Option(names = "--no-expiry", description = "The new box has no max lifetime; its idle timer still ends it"
            + " (cgrender.box.idle-timeout, 30m, without an SSH session or a job).")
    boolean noExpiry;

    @Mixin
    FreshOption fresh;

    @Override
    protected Map<String, Object> configOverrides() {
        Map<String, Object> overrides = new LinkedHashMap<>(fresh.overrides());
        if (ami != null) {
            overrides.put(roleKey("image"), ami);
        }
        if (identity != null) {
            overrides.put(BoxIdentities.COMMAND_KEY, IdentityOption.absolute(spec, identity).toString());
        }
        return overrides;
    }

    @Override
    protected int execute(Session session) {
        if (count < 1) {
            throw new UsageException("--count must be at least 1, not " + count);
        }
        if (setPrimary && count > 1) {
            throw new UsageException("--set-primary names one box; it does not go with --count " + count);
        }
        if (instanceId != null && (count > 1 || alwaysNew || spot || instanceType != null || ami != null)) {
            throw new UsageException("--instance-id adopts an existing instance: --count, --new, --spot,"
                    + " --instance-type and --ami do not apply to it");
        }
        if (instanceId == null && (identity != null || loginUser != null)) {
            throw new UsageException("--identity and --login-user are for adopting an instance you made: they go with"
                    + " --instance-id; boxes cgrender launches accept the namespace's key as their role's user");
        }
        if (loginUser != null && !loginUser.matches("[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}")) {
            throw new UsageException("--login-user '" + loginUser + "' is not a user name");
        }
        if (lifetime != null && noExpiry) {
            throw new UsageException("--lifetime and --no-expiry contradict each other: a box with no expiry has no"
                    + " max lifetime").fix("give one of them");
        }
        Optional<Duration> maxLifetime = Optional.ofNullable(lifetime)
                .map(l -> Durations.parsePositive(l, "--lifetime"));
        if (instanceId != null && (maxLifetime.isPresent() || noExpiry)) {
            throw new UsageException("--lifetime and --no-expiry are for boxes cgrender launches: an adopted instance"
                    + " has no watchdog of cgrender's and does not end itself");
        }
        if (identity != null) {
            UserIdentity.load(session.cwd().resolve(identity), "--identity");
        }
        Box box = session.roles().get(role).newBox();
        CreateOptions options = new CreateOptions(count, keepOnError, Optional.ofNullable(instanceType),
                spot ? Optional.of(true) : Optional.empty(), Optional.empty(), saveImage, maxLifetime, noExpiry);
        List<Machine> boxes;
        if (instanceId != null) {
            boxes = List.of(box.adopt(session.environment(), instanceId, Optional.ofNullable(loginUser), options));
        } else if (!alwaysNew && count == 1 && !saveImage) {
            Box.Ensured ensured = box.ensure(session.environment(), options);
            if (ensured.reused()) {
                session.console().status("reusing ready box " + ensured.machine().id() + " (" + role
                        + "); pass --new for another one");
                if (options.setsLifetime()) {
                    session.console().warn("--lifetime and --no-expiry apply to new boxes only: box "
                            + ensured.machine().id() + " keeps its end (cgrender extend " + ensured.machine().id()
                            + " DURATION moves it; --new makes another box)");
                }
            }
            boxes = List.of(ensured.machine());
        } else {
            boxes = box.create(session.environment(), options);
        }
        boxes.forEach(m -> session.console().out().println(m.id()));
        save(session, boxes);
        return 0;
    }

    /** What --save-defaults and --set-primary ask to remember. */
    private void save(Session session, List<Machine> boxes) {
        Map<String, Object> values = new LinkedHashMap<>();
        if (saveDefaults) {
            Settings settings = session.settings();
            values.put(Settings.ROOT + ".cloud", settings.cloud());
            if (session.options().namespace() != null) {
                values.put(Settings.ROOT + ".namespace", session.options().namespace());
            }
            if (session.options().region() != null) {
                values.put(Settings.ROOT + ".aws.region", session.options().region());
            }
            if (session.options().profile() != null) {
                values.put(Settings.ROOT + ".aws.profile", session.options().profile());
            }
            if (instanceType != null) {
                values.put(roleKey("instance-type"), instanceType);
            }
            if (spot) {
                values.put(roleKey("spot"), true);
            }
            if (ami != null) {
                values.put(roleKey("image"), ami);
            }
            if (identity != null) {
                values.put(BoxIdentities.boxKey(boxes.get(0).id()), IdentityOption.absolute(spec, identity).toString());
            }
        }
        if (setPrimary) {
            values.put(ConfigUtil.joinPath(Settings.ROOT, "primary", session.namespace().toString()),
                    boxes.get(0).id());
        }
        if (values.isEmpty()) {
            return;
        }
        SavedDefaults saved = SavedDefaults.of(session.dirs());
        saved.save(values);
        List<String> what = new ArrayList<>();
        values.forEach((k, v) -> what.add(k + " = " + v));
        session.console().status("saved in " + saved.file() + ": " + String.join(", ", what));
    }

    private String roleKey(String name) {
        return ConfigUtil.joinPath(Settings.ROOT, "roles", role, name);
    }
}
