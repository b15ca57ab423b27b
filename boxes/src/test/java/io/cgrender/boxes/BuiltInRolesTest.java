package io.cgrender.boxes;

import io.cgrender.core.box.Box;
import io.cgrender.core.box.MachineSpec;
import io.cgrender.core.box.PackageManagerBox;
import io.cgrender.core.box.Roles;
import io.cgrender.core.plugin.Plugins;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The built-in roles: each is found by role discovery, and its OS family decides its image and login user. */
class BuiltInRolesTest {

    private record Expected(MachineSpec.Os os, String loginUser, Class<? extends PackageManagerBox> family) {
    }

    private static final Map<String, Expected> ROLES = Map.of(
            "ubuntu-box", new Expected(MachineSpec.Os.UBUNTU_LTS, "ubuntu", AptBox.class),
            "debian-box", new Expected(MachineSpec.Os.DEBIAN, "admin", AptBox.class),
            "amazon-linux-box", new Expected(MachineSpec.Os.AMAZON_LINUX, "ec2-user", DnfBox.class),
            "openscad-ubuntu-box", new Expected(MachineSpec.Os.UBUNTU_LTS, "ubuntu", AptBox.class),
            "docker-ubuntu-box", new Expected(MachineSpec.Os.UBUNTU_LTS, "ubuntu", AptBox.class));

    @Test
    void eachRoleHasTheOsFamilyAndLoginUserOfItsDistribution() {
        Roles roles = Roles.discover(Plugins.builtIn());
        ROLES.forEach((name, expected) -> {
            Box box = roles.get(name).newBox();
            assertEquals(name, box.role());
            assertEquals(expected.os(), box.machineSpec().os(), name);
            assertEquals(expected.loginUser(), box.machineSpec().adminUser(), name);
            assertTrue(expected.family().isInstance(box), name + " is a " + expected.family().getSimpleName());
            assertTrue(box.machineSpec().recommendedInstanceType().isPresent(), name);
        });
        assertEquals(MachineSpec.PackageManager.DNF, MachineSpec.Os.AMAZON_LINUX.packageManager());
        assertEquals(MachineSpec.PackageManager.APT, MachineSpec.Os.DEBIAN.packageManager());
    }
}
