package io.cgrender.core.box;

import io.cgrender.core.UsageException;
import io.cgrender.core.cloud.Cloud;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.cloud.MachineFilter;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ssh.Shell;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Resolves what users type for BOX: {@code ROLE} (the one box of that role), {@code ROLE#ORDINAL} (0 is the
 * oldest, -1 the newest) or a machine id. Only machines of the namespace are considered.
 */
public final class BoxResolver {

    private final Cloud cloud;
    private final Namespace namespace;

    private final Predicate<String> knownRole;

    /** @param knownRole whether a name is a role cgrender can create, for the hint when no box has it */
    public BoxResolver(Cloud cloud, Namespace namespace, Predicate<String> knownRole) {
        this.cloud = cloud;
        this.namespace = namespace;
        this.knownRole = knownRole;
    }

    public Machine resolve(String ref) {
        if (ref == null || ref.isBlank()) {
            throw new UsageException("no box named; give a role, ROLE#ORDINAL or a box id").see("cgrender list");
        }
        List<Machine> all = cloud.describe(MachineFilter.of(namespace));
        for (Machine m : all) {
            if (m.id().equals(ref)) {
                return m;
            }
        }
        String role = ref;
        Optional<Integer> ordinal = Optional.empty();
        int hash = ref.lastIndexOf('#');
        if (hash >= 0) {
            role = ref.substring(0, hash);
            try {
                ordinal = Optional.of(Integer.parseInt(ref.substring(hash + 1)));
            } catch (NumberFormatException e) {
                throw new UsageException("bad box reference '" + ref + "': the ordinal after '#' must be a whole"
                        + " number, e.g. " + role + "#0");
            }
        }
        List<Machine> ofRole = new ArrayList<>();
        for (Machine m : all) {
            if (m.role().equals(role)) {
                ofRole.add(m);
            }
        }
        if (ofRole.isEmpty()) {
            if (!looksLikeId(ref) && knownRole.test(role)) {
                throw new UsageException("no box '" + ref + "' in namespace " + namespace)
                        .fix("cgrender create " + Shell.quote(role));
            }
            throw new UsageException("no box '" + ref + "' in namespace " + namespace + (looksLikeId(ref) ? ""
                    : ", and no role of that name")).see("cgrender list");
        }
        if (ordinal.isPresent()) {
            int i = ordinal.get() < 0 ? ofRole.size() + ordinal.get() : ordinal.get();
            if (i < 0 || i >= ofRole.size()) {
                throw new UsageException("no box " + ref + ": role " + role + " has " + ofRole.size()
                        + " box(es) in " + namespace + " (ordinals 0.." + (ofRole.size() - 1) + ")");
            }
            return ofRole.get(i);
        }
        if (ofRole.size() > 1) {
            List<String> candidates = new ArrayList<>();
            for (int i = 0; i < ofRole.size(); i++) {
                candidates.add(role + "#" + i + " (" + ofRole.get(i).id() + ", " + ofRole.get(i).state().label() + ")");
            }
            throw new UsageException("'" + ref + "' is ambiguous: " + ofRole.size() + " boxes of that role in "
                    + namespace + ": " + String.join(", ", candidates) + "; name one of them");
        }
        return ofRole.get(0);
    }

    /** The ordinal of {@code machine} among the boxes of its role (oldest first), as shown by {@code list}. */
    public static int ordinal(List<Machine> allOfNamespace, Machine machine) {
        int i = 0;
        for (Machine m : allOfNamespace) {
            if (m.id().equals(machine.id())) {
                return i;
            }
            if (m.role().equals(machine.role())) {
                i++;
            }
        }
        return -1;
    }

    private static boolean looksLikeId(String ref) {
        return ref.matches("[a-z]-[0-9a-f]+");
    }
}
