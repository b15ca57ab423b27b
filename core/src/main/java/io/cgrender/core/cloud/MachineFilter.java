package io.cgrender.core.cloud;

import io.cgrender.core.ns.Namespace;

import java.util.Optional;

/** Which machines {@link Cloud#describe} returns: always one namespace, optionally one role. Never terminated ones. */
public record MachineFilter(Namespace namespace, Optional<String> role) {

    public static MachineFilter of(Namespace namespace) {
        return new MachineFilter(namespace, Optional.empty());
    }

    public static MachineFilter of(Namespace namespace, String role) {
        return new MachineFilter(namespace, Optional.ofNullable(role));
    }
}
