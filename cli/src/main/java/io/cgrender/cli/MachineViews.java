package io.cgrender.cli;

import io.cgrender.core.box.BoxResolver;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.cloud.MachineState;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.ui.Durations;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** How machines are shown by {@code list} and {@code show}: a table row, details, or JSON. */
public final class MachineViews {

    private final List<Machine> namespaceMachines;
    private final Instant now = Instant.now();

    /** @param namespaceMachines every machine of the namespace, oldest first (ordinals count in it) */
    public MachineViews(List<Machine> namespaceMachines) {
        this.namespaceMachines = namespaceMachines;
    }

    public Table table(List<Machine> machines) {
        Table table = new Table("ID", "ROLE", "ORDINAL", "STATE", "STAGE", "ADDRESS", "UPTIME");
        for (Machine m : machines) {
            table.row(m.id(), m.role(), ordinalRef(m), m.state().label(), m.tags().getOrDefault(Tags.STAGE, "-"),
                    address(m) == null ? "-" : address(m), uptime(m) == null ? "-" : Durations.human(uptime(m)));
        }
        return table;
    }

    public Map<String, Object> json(Machine m) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", m.id());
        json.put("role", m.role());
        json.put("ordinal", ordinal(m));
        json.put("namespace", m.tags().get(Tags.NAMESPACE));
        json.put("state", m.state().label());
        json.put("stage", m.tags().get(Tags.STAGE));
        json.put("address", address(m));
        json.put("launched_at", m.launchedAt().toString());
        json.put("uptime_seconds", uptime(m) == null ? null : uptime(m).toSeconds());
        json.put("expires_at", m.tags().get(Tags.EXPIRES_AT));
        json.put("tags", new TreeMap<>(m.tags()));
        return json;
    }

    public String ordinalRef(Machine m) {
        return m.role() + "#" + ordinal(m);
    }

    private int ordinal(Machine m) {
        return BoxResolver.ordinal(namespaceMachines, m);
    }

    private static String address(Machine m) {
        return m.state() == MachineState.RUNNING ? m.address().orElse(null) : null;
    }

    private Duration uptime(Machine m) {
        return m.state() == MachineState.RUNNING ? Duration.between(m.launchedAt(), now) : null;
    }
}
