package io.cgrender.core.plugin;

/** Java sources of plugin classes for {@link io.cgrender.testkit.TestJar}. */
final class BoxSources {

    private BoxSources() {
    }

    /** A box class {@code pkg.name} of role {@code role}; {@code modifiers} and {@code body} are pasted in. */
    static String box(String pkg, String name, String role, String modifiers, String body) {
        return "package " + pkg + ";\n"
                + "import io.cgrender.core.box.*;\n"
                + "import io.cgrender.core.ssh.RemoteHost;\n"
                + "@Role(name = \"" + role + "\", description = \"" + role + " from a test plugin\")\n"
                + "public " + modifiers + " class " + name + " extends Box {\n"
                + "  @Override public MachineSpec machineSpec() { return MachineSpec.ubuntu(1, 1, 8, \"t3.micro\"); }\n"
                + "  @Override protected void setup(RemoteHost host) { }\n"
                + body
                + "}\n";
    }

    static String box(String pkg, String name, String role) {
        return box(pkg, name, role, "", "");
    }
}
