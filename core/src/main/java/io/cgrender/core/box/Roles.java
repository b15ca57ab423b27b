package io.cgrender.core.box;

import io.cgrender.core.UsageException;

import java.lang.reflect.Modifier;
import java.util.Collections;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** The box roles on the classpath, by name. Boxes register in {@code META-INF/services/io.cgrender.core.box.Box}. */
public final class Roles {

    /** A role as discovered: its name, description, class and where it came from (built-in or a jar path). */
    public record RoleInfo(String name, String description, Class<? extends Box> type, String source) {

        /** A new instance of the role's box. */
        public Box newBox() {
            try {
                return type.getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot instantiate box " + type.getName() + ": " + e, e);
            }
        }
    }

    private final Map<String, RoleInfo> byName;

    public Roles(Map<String, RoleInfo> byName) {
        this.byName = Collections.unmodifiableMap(new TreeMap<>(byName));
    }

    public static Roles discover(ClassLoader loader) {
        Map<String, RoleInfo> found = new TreeMap<>();
        ServiceLoader.load(Box.class, loader).stream().forEach(provider -> {
            Class<? extends Box> type = provider.type();
            Role role = type.getAnnotation(Role.class);
            if (role == null || Modifier.isAbstract(type.getModifiers())) {
                return;
            }
            RoleInfo previous = found.putIfAbsent(role.name(),
                    new RoleInfo(role.name(), role.description(), type, "built-in"));
            if (previous != null && previous.type() != type) {
                throw new IllegalStateException("two boxes claim role '" + role.name() + "': "
                        + previous.type().getName() + " and " + type.getName());
            }
        });
        return new Roles(found);
    }

    public RoleInfo get(String name) {
        RoleInfo info = byName.get(name);
        if (info == null) {
            throw new UsageException("unknown role '" + name + "'; known roles: " + String.join(", ", byName.keySet())
                    + " (see: cgrender list-roles)");
        }
        return info;
    }

    public boolean contains(String name) {
        return byName.containsKey(name);
    }

    public Map<String, RoleInfo> all() {
        return byName;
    }
}
