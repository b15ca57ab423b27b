package io.cgrender.cli;

import io.cgrender.testkit.TestJar;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Third-party roles, commands and clouds from plugin jars: the example POV-Ray plugin as its own jar (built by its
 * module, never on cgrender's class path) dropped into a plugin directory, and jars made here that are wrong in every
 * way a plugin can be wrong.
 */
class PluginEndToEndTest {

    private static final String POVRAY = "povray-ubuntu-box";

    @RegisterExtension
    final Cli cli = new Cli();

    /** The example plugin's jar, as its module built it. */
    static Path examplePlugin() {
        String property = System.getProperty("cgrender.test.example-plugin");
        assertTrue(property != null, "the build passes the example plugin's jar in cgrender.test.example-plugin");
        Path jar = Path.of(property).toAbsolutePath().normalize();
        assertTrue(Files.isRegularFile(jar), "the example plugin module builds " + jar + " before these tests");
        return jar;
    }

    private Path installExamplePlugin() throws IOException {
        Files.createDirectories(cli.pluginDir());
        return Files.copy(examplePlugin(), cli.pluginDir().resolve("povray-plugin.jar"));
    }

    @Test
    void theExamplePluginIsNotOnCgrendersClassPath() {
        assertFalse(System.getProperty("java.class.path").contains("plugin-povray"),
                "the plugin must come from a plugin directory, and box hosts get this class path");
        assertTrue(cli.ok("list-roles").out().lines().noneMatch(l -> l.startsWith(POVRAY)));
    }

    @Test
    void listRolesShowsAPluginDroppedIntoThePluginDirectoryWithItsJar() throws IOException {
        Path jar = installExamplePlugin();
        Cli.Result r = cli.ok("list-roles");
        assertEquals(List.of("ROLE", "DESCRIPTION", "SOURCE"), List.of(r.out().lines().findFirst().orElseThrow()
                .split("\\s+")), r.toString());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith(POVRAY) && l.contains("POV-Ray") && l.endsWith(
                jar.toString())), r.toString());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("openscad-ubuntu-box") && l.endsWith("built-in")),
                r.toString());
        assertEquals("", r.err(), "a good plugin loads without a word");
        Cli.Result json = cli.ok("list-roles", "--json");
        assertTrue(json.out().contains("{\"role\":\"" + POVRAY + "\",\"description\":\"Ubuntu with POV-Ray")
                && json.out().contains("\"source\":\"" + jar + "\""), json.toString());
    }

    @Test
    void aPluginJarOnCgrendersOwnClassPathIsFoundToo() throws Exception {
        Path jar = Files.copy(examplePlugin(), cli.root().resolve("in-lib.jar"));
        Path out = cli.root().resolve("list-roles.out");
        Path err = cli.root().resolve("list-roles.err");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path") + java.io.File.pathSeparator + jar,
                Main.class.getName(), "list-roles")
                .redirectOutput(out.toFile())
                .redirectError(err.toFile());
        pb.environment().putAll(cli.env());
        Process process = pb.start();
        assertTrue(process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "list-roles ends");
        String listed = Files.readString(out);
        assertEquals(0, process.exitValue(), listed + Files.readString(err));
        assertTrue(listed.lines().anyMatch(l -> l.startsWith(POVRAY) && l.endsWith(jar.toString())), listed);
        assertEquals("", Files.readString(err));
    }

    @Test
    void pluginPathOptionAndEnvironmentVariableAddPlugins() throws IOException {
        Path jar = examplePlugin();
        assertTrue(cli.ok("--plugin-path", jar.toString(), "list-roles").out().contains(POVRAY));
        assertTrue(cli.ok("--plugin-path", jar.getParent().toString(), "list-roles").out().contains(POVRAY),
                "a directory contributes its jars");

        Path envDir = Files.createDirectories(cli.root().resolve("env-plugins"));
        Files.copy(jar, envDir.resolve("povray.jar"));
        cli.env().put("CGRENDER_PLUGIN_PATH", cli.root().resolve("absent") + ":" + envDir);
        Cli.Result fromEnv = cli.ok("list-roles");
        assertTrue(fromEnv.out().lines().anyMatch(l -> l.startsWith(POVRAY) && l.endsWith(envDir.resolve(
                "povray.jar").toString())), fromEnv.toString());
        assertEquals("warning: CGRENDER_PLUGIN_PATH entry " + cli.root().resolve("absent")
                + ": no such file or directory; ignored\n", fromEnv.err());
        cli.env().remove("CGRENDER_PLUGIN_PATH");

        Cli.Result missing = cli.run("--plugin-path", "no/such.jar", "list-roles");
        assertEquals(2, missing.code(), missing.toString());
        assertEquals("error: --plugin-path no/such.jar: no such file or directory\n", missing.err());
        Cli.Result afterCommand = cli.run("list-roles", "--plugin-path", jar.toString());
        assertEquals(2, afterCommand.code(), "--plugin-path goes before the command: " + afterCommand);
    }

    @Test
    void createRunAndThePluginsOwnCommandWorkOnTheLocalCloud() throws IOException {
        installExamplePlugin();
        Cli.Result created = cli.ok("create", POVRAY);
        String id = created.out().strip();
        assertTrue(created.err().contains("ready to render with POV-Ray 3.7"), created.toString());

        Path scenes = Files.createDirectories(cli.root().resolve("scenes"));
        Path scene = Files.copy(Path.of("../examples/plugin-povray/scenes/spheres.pov"), scenes.resolve("spheres.pov"));
        // Each run works in a copy of its own: what the command writes is there for the rest of the command only.
        Cli.Result rendered = cli.run("run", POVRAY, "--workdir", scenes.toString(), "--", "sh", "-c",
                "povray -D +FN +W64 +H48 +Ispheres.pov +Osmall.png && od -A n -t x1 -N 8 small.png");
        assertEquals(0, rendered.code(), rendered.toString());
        assertTrue(rendered.out().contains("89 50 4e 47 0d 0a 1a 0a"), "a PNG was written on the box: " + rendered);

        Path out = cli.root().resolve("images");
        Cli.Result command = cli.ok("povray", scene.toString(), "-W", "80", "-H", "60", "-o", out.toString());
        Path image = out.resolve("spheres.png");
        assertEquals(image.toString(), command.out().strip(), command.toString());
        assertPng(image, 80, 60);
        assertEquals(List.of(id), cli.boxIds(), "run and the povray command reuse the box create made");
    }

    @Test
    void pluginsContributeCommandsAndCloudsButNeverReplaceBuiltInCommands() throws IOException {
        String pkg = "com.example.extras";
        Path jar = TestJar.plugin(pkg, "1.0")
                .source(pkg + ".HelloCommand", "package " + pkg + ";\n"
                        + "import io.cgrender.core.plugin.*;\n"
                        + "import picocli.CommandLine.*;\n"
                        + "@Command(name = \"hello\", description = \"Says hello from a plugin.\")\n"
                        + "public class HelloCommand implements PluginCommand {\n"
                        + "  @Option(names = \"--who\", defaultValue = \"world\") String who;\n"
                        + "  public int execute(CommandContext context) {\n"
                        + "    if (who.isEmpty()) throw new io.cgrender.core.UsageException(\"--who is empty\");\n"
                        + "    context.console().out().println(\"hello \" + who + \" in \" + context.namespace()\n"
                        + "        + \" with \" + String.join(\",\", context.roles().all().keySet()));\n"
                        + "    for (PluginCommand c : java.util.ServiceLoader.load(PluginCommand.class)) {\n"
                        + "      context.console().out().println(\"context class loader finds \" + c.getClass());\n"
                        + "    }\n"
                        + "    return 0;\n"
                        + "  }\n"
                        + "}\n")
                .source(pkg + ".ListCommand", "package " + pkg + ";\n"
                        + "@picocli.CommandLine.Command(name = \"list\")\n"
                        + "public class ListCommand implements io.cgrender.core.plugin.PluginCommand {\n"
                        + "  public int execute(io.cgrender.core.plugin.CommandContext c) { return 42; }\n"
                        + "}\n")
                .source(pkg + ".UnreachableCloudProvider", "package " + pkg + ";\n"
                        + "import io.cgrender.core.cloud.*;\n"
                        + "public class UnreachableCloudProvider implements CloudProvider {\n"
                        + "  public String name() { return \"plugin-cloud\"; }\n"
                        + "  public String description() { return \"a cloud from a plugin\"; }\n"
                        + "  public Cloud open(CloudContext context) {\n"
                        + "    throw new io.cgrender.core.CgrenderException(\"plugin-cloud is not reachable\");\n"
                        + "  }\n"
                        + "}\n")
                .service("io.cgrender.core.plugin.PluginCommand", pkg + ".HelloCommand", pkg + ".ListCommand")
                .service("io.cgrender.core.cloud.CloudProvider", pkg + ".UnreachableCloudProvider")
                .writeTo(cli.pluginDir().resolve("extras.jar"));
        String clash = "warning: command " + pkg + ".ListCommand of " + jar
                + " is named 'list', which cgrender already has; skipped\n";

        Cli.Result hello = cli.ok("-n", "/plugins/", "hello", "--who", "plugin user");
        List<String> lines = hello.out().lines().toList();
        assertTrue(lines.get(0).startsWith("hello plugin user in /plugins/ with ")
                && List.of(lines.get(0).substring(lines.get(0).lastIndexOf(' ') + 1).split(","))
                .containsAll(List.of("echo-box", "openscad-ubuntu-box")), hello.toString());
        assertEquals(List.of("context class loader finds class " + pkg + ".HelloCommand",
                "context class loader finds class " + pkg + ".ListCommand"), lines.subList(1, lines.size()));
        assertEquals(clash, hello.err());
        assertTrue(cli.ok("--help").out().contains("Says hello from a plugin."));
        Cli.Result bad = cli.run("hello", "--who", "");
        assertEquals(2, bad.code(), bad.toString());
        assertTrue(bad.err().endsWith("error: --who is empty\n"), bad.toString());

        Cli.Result list = cli.ok("list");
        assertTrue(list.err().contains("no boxes in "), "the built-in list runs: " + list);

        Cli.Result cloud = cli.run("--cloud", "plugin-cloud", "list");
        assertEquals(1, cloud.code(), cloud.toString());
        assertTrue(cloud.err().endsWith("error: plugin-cloud is not reachable\n"), cloud.toString());
        Cli.Result unknown = cli.run("--cloud", "nowhere", "list");
        assertEquals(2, unknown.code(), unknown.toString());
        assertTrue(unknown.err().contains("known clouds: ec2, local, plugin-cloud"), unknown.toString());
    }

    @Test
    void faultyRoleClassesAreOneLineWarningsNamingJarAndClassAndTheOtherRolesStillLoad() throws IOException {
        installExamplePlugin();
        String pkg = "com.example.faulty";
        Path jar = TestJar.plugin(pkg, "1.0")
                .source(pkg + ".AbstractBox", box(pkg, "AbstractBox", "abstract-box", "abstract", ""))
                .source(pkg + ".NoDefaultConstructorBox", box(pkg, "NoDefaultConstructorBox", "no-ctor-box", "",
                        "  public NoDefaultConstructorBox(int size) { }\n"))
                .source(pkg + ".ThrowingBox", box(pkg, "ThrowingBox", "throwing-box", "",
                        "  static { if (true) throw new IllegalStateException(\"no licence\"); }\n"))
                .source(pkg + ".Library", "package " + pkg + "; public class Library { }")
                .source(pkg + ".NeedsLibraryBox", box(pkg, "NeedsLibraryBox", "needs-library-box", "",
                        "  private static final Library LIBRARY = new Library();\n"))
                .source(pkg + ".FineBox", box(pkg, "FineBox", "fine-box", "", ""))
                .omit(pkg + ".Library")
                .writeTo(cli.pluginDir().resolve("faulty.jar"));

        Cli.Result r = cli.ok("list-roles");
        List<String> warnings = r.err().lines().toList();
        assertEquals(4, warnings.size(), r.toString());
        for (String cls : List.of("AbstractBox", "NoDefaultConstructorBox", "ThrowingBox", "NeedsLibraryBox")) {
            assertTrue(warnings.stream().anyMatch(w -> w.startsWith("warning: ") && w.contains(jar.toString())
                    && w.contains(pkg + "." + cls)), cls + " not named with its jar: " + r);
        }
        assertTrue(r.err().contains("its static initializer threw java.lang.IllegalStateException: no licence"),
                r.toString());
        assertTrue(r.err().contains("it needs class " + pkg + ".Library"), r.toString());
        for (String role : List.of("fine-box", POVRAY, "openscad-ubuntu-box")) {
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith(role + " ")), role + " still loads: " + r);
        }
        String id = cli.ok("create", "fine-box").out().strip();
        assertEquals(List.of(id), cli.boxIds(), "a role of a jar with faulty classes works");
    }

    @Test
    void twoClassesClaimingOneRoleStopRoleCommandsWithBothJarsNamed() throws IOException {
        Path example = installExamplePlugin();
        Path impostor = TestJar.plugin("org.example.impostor", "1.0")
                .source("org.example.impostor.OtherPovrayBox", box("org.example.impostor", "OtherPovrayBox", POVRAY,
                        "", ""))
                .writeTo(cli.pluginDir().resolve("impostor.jar"));
        Cli.Result r = cli.run("list-roles");
        assertEquals(2, r.code(), r.toString());
        assertEquals("error: role '" + POVRAY + "' is claimed by 2 classes: org.example.impostor.OtherPovrayBox in "
                + impostor + " and com.example.povray.PovrayUbuntuBox in " + example
                + "; remove all but one of them from the plugin path\n", r.err());
        assertEquals(2, cli.run("create", "openscad-ubuntu-box").code(), "nothing is launched");
        assertEquals(List.of(), cli.boxIds(), "commands that need no roles still work");
    }

    @Test
    void aPluginBuiltForAnotherApiVersionIsReportedAndSkipped() throws IOException {
        Path jar = TestJar.plugin("org.example.future", "2.0")
                .source("org.example.future.FutureBox", box("org.example.future", "FutureBox", "future-box", "", ""))
                .writeTo(cli.pluginDir().resolve("future.jar"));
        Cli.Result r = cli.ok("list-roles");
        assertEquals("warning: plugin " + jar + " was built for cgrender plugin API 2.0, but this cgrender supports"
                + " plugin API 1.3 (plugins built for 1.0 to 1.3); use a build of the plugin for plugin API 1.x, or a"
                + " newer cgrender; skipped\n", r.err());
        assertTrue(r.out().lines().noneMatch(l -> l.startsWith("future-box")), r.toString());
        Cli.Result create = cli.run("create", "future-box");
        assertEquals(2, create.code(), create.toString());
        assertTrue(create.err().contains("unknown role 'future-box'"), create.toString());
    }

    /** A box of role {@code role} that sets up nothing. */
    private static String box(String pkg, String name, String role, String modifiers, String body) {
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

    private static void assertPng(Path image, int width, int height) throws IOException {
        byte[] bytes = Files.readAllBytes(image);
        assertTrue(bytes.length > 24, image + " is too short");
        assertEquals("\u0089PNG", new String(bytes, 0, 4, java.nio.charset.StandardCharsets.ISO_8859_1));
        ByteBuffer ihdr = ByteBuffer.wrap(bytes, 16, 8);
        assertEquals(width, ihdr.getInt(), "width");
        assertEquals(height, ihdr.getInt(), "height");
    }
}
