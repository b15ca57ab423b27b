package io.cgrender.core.plugin;

import io.cgrender.core.UsageException;
import io.cgrender.core.box.Roles;
import io.cgrender.core.cloud.CloudProvider;
import io.cgrender.core.cloud.CloudProviders;
import io.cgrender.core.config.Dirs;
import io.cgrender.core.config.Settings;
import io.cgrender.testkit.TestJar;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;

import static io.cgrender.core.plugin.BoxSources.box;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Plugin jars made from source in the test: discovery of roles and services, and every way a jar can be bad. */
class PluginsTest {

    @TempDir
    Path dir;

    private final List<String> warnings = new ArrayList<>();
    private Plugins plugins;

    @AfterEach
    void close() {
        if (plugins != null) {
            plugins.close();
        }
    }

    private Plugins load(Path... jars) {
        plugins = Plugins.load(List.of(jars), PluginsTest.class.getClassLoader(), warnings::add);
        return plugins;
    }

    private Path goodJar(String name, String pkg, String role) {
        return TestJar.plugin(pkg, "1.0").source(pkg + ".GoodBox", box(pkg, "GoodBox", role))
                .writeTo(dir.resolve(name));
    }

    @Test
    void aPluginRoleIsFoundInItsDeclaredPackageAndLoadedByTheJarsOwnLoader() {
        Path jar = goodJar("good.jar", "com.example.good", "good-box");
        Roles roles = Roles.discover(load(jar));
        Roles.RoleInfo info = roles.get("good-box");
        assertEquals(jar.toString(), info.source());
        assertEquals("good-box from a test plugin", info.description());
        assertSame(plugins.loaded().get(0).loader(), info.type().getClassLoader());
        assertSame(PluginsTest.class.getClassLoader(), info.type().getClassLoader().getParent());
        assertEquals("good-box", info.newBox().role());
        assertEquals(List.of(), warnings);
    }

    @Test
    void theRoleIndexRemembersAScanUntilTheJarChanges() throws Exception {
        String pkg = "com.example.indexed";
        Path jar = TestJar.plugin(pkg, "1.0")
                .source(pkg + ".ABox", box(pkg, "ABox", "a-box"))
                .source(pkg + ".BBox", box(pkg, "BBox", "b-box"))
                .writeTo(dir.resolve("indexed.jar"));
        Path index = dir.resolve("index");
        assertEquals(List.of("a-box", "b-box"), List.copyOf(Roles.discover(load(jar), Optional.of(index)).all()
                .keySet()));
        List<Path> entries;
        try (var files = Files.list(index)) {
            entries = files.toList();
        }
        assertEquals(1, entries.size(), "one entry for the one plugin jar (the test class path has directories)");
        // The entry is what discovery uses: one that lists only ABox hides BBox.
        List<String> lines = Files.readAllLines(entries.get(0));
        Files.write(entries.get(0), lines.stream().filter(l -> !l.startsWith(pkg + ".BBox")).toList());
        assertEquals(List.of("a-box"), List.copyOf(Roles.discover(plugins, Optional.of(index)).all().keySet()));

        plugins.close();
        TestJar.plugin(pkg, "1.0").source(pkg + ".CBox", box(pkg, "CBox", "c-box")).writeTo(jar);
        assertEquals(List.of("c-box"), List.copyOf(Roles.discover(load(jar), Optional.of(index)).all().keySet()),
                "a rewritten jar is scanned again");
    }

    @Test
    void onlyDeclaredPackagesAreScanned() {
        Path jar = TestJar.plugin("com.example.declared", "1.0")
                .source("com.example.declared.sub.Inside", box("com.example.declared.sub", "Inside", "inside-box"))
                .source("com.example.other.Outside", box("com.example.other", "Outside", "outside-box"))
                .writeTo(dir.resolve("p.jar"));
        Roles roles = Roles.discover(load(jar));
        assertTrue(roles.contains("inside-box"), "sub-packages are included");
        assertTrue(!roles.contains("outside-box"), "other packages are not scanned");
    }

    @Test
    void builtInRolesAreFoundInCgrendersPackagesWithoutAnyPlugin() {
        Roles roles = Roles.discover(Plugins.builtIn());
        // core's test classes carry no roles; the point is that discovery works and finds nothing unexpected
        roles.all().values().forEach(r -> assertEquals(Plugins.BUILT_IN, r.source()));
    }

    @Test
    void faultyClassesAreSkippedWithAWarningNamingJarAndClassAndTheOthersLoad() {
        String pkg = "com.example.faults";
        Path jar = TestJar.plugin(pkg, "1.0")
                .source(pkg + ".GoodBox", box(pkg, "GoodBox", "still-good-box"))
                .source(pkg + ".AbstractBox", box(pkg, "AbstractBox", "abstract-box", "abstract", ""))
                .source(pkg + ".NoDefaultConstructorBox", box(pkg, "NoDefaultConstructorBox", "no-ctor-box", "",
                        "  public NoDefaultConstructorBox(String size) { }\n"))
                .source(pkg + ".ThrowingInitBox", box(pkg, "ThrowingInitBox", "throwing-init-box", "",
                        "  static final int X = Integer.parseInt(\"not a number\");\n"))
                .source(pkg + ".Missing", "package " + pkg + "; public class Missing { }")
                .source(pkg + ".NeedsMissingBox", box(pkg, "NeedsMissingBox", "needs-missing-box", "",
                        "  static final Missing M = new Missing();\n"))
                .source(pkg + ".NotABox", "package " + pkg + "; @io.cgrender.core.box.Role(name = \"not-a-box\","
                        + " description = \"x\") public class NotABox { }")
                .source(pkg + ".BadNameBox", box(pkg, "BadNameBox", "Bad Name"))
                .omit(pkg + ".Missing")
                .writeTo(dir.resolve("faults.jar"));
        Roles roles = Roles.discover(load(jar));

        assertEquals(List.of("still-good-box"), List.copyOf(roles.all().keySet()));
        assertWarning(jar, pkg + ".AbstractBox", "is abstract");
        assertWarning(jar, pkg + ".NoDefaultConstructorBox", "has no public no-arg constructor");
        assertWarning(jar, pkg + ".ThrowingInitBox", "its static initializer threw java.lang.NumberFormatException");
        assertWarning(jar, pkg + ".NeedsMissingBox", "it needs class " + pkg + ".Missing");
        assertWarning(jar, pkg + ".NotABox", "does not extend io.cgrender.core.box.Box");
        assertWarning(jar, pkg + ".BadNameBox", "'Bad Name'");
        assertEquals(6, warnings.size(), String.join("\n", warnings));
    }

    @Test
    void twoClassesClaimingOneRoleIsAnErrorNamingBothJars() {
        Path first = goodJar("first.jar", "com.example.first", "same-box");
        Path second = goodJar("second.jar", "com.example.second", "same-box");
        UsageException e = assertThrows(UsageException.class, () -> Roles.discover(load(first, second)));
        assertTrue(e.getMessage().contains("role 'same-box' is claimed by 2 classes: com.example.first.GoodBox in "
                + first + " and com.example.second.GoodBox in " + second), e.getMessage());
    }

    @Test
    void twoCopiesOfOnePluginAreAConflictToo() {
        Path v1 = goodJar("plugin-1.0.jar", "com.example.same", "copied-box");
        Path v2 = goodJar("plugin-1.1.jar", "com.example.same", "copied-box");
        UsageException e = assertThrows(UsageException.class, () -> Roles.discover(load(v1, v2)));
        assertTrue(e.getMessage().contains(v1.toString()) && e.getMessage().contains(v2.toString()), e.getMessage());
    }

    @Test
    void pluginsDoNotSeeEachOtherSoEqualClassNamesDoNotCollide() {
        Path a = goodJar("a.jar", "com.example.shared", "a-box");
        Path b = goodJar("b.jar", "com.example.shared", "b-box");
        Roles roles = Roles.discover(load(a, b));
        assertEquals(a.toString(), roles.get("a-box").source());
        assertEquals(b.toString(), roles.get("b-box").source());
        assertNotSame(roles.get("a-box").type(), roles.get("b-box").type());
        assertEquals("b-box", roles.get("b-box").newBox().role());
    }

    @Test
    void aPluginForAnotherApiVersionIsSkippedWithAClearMessage() {
        Path future = TestJar.plugin("com.example.future", "2.0")
                .attribute("Implementation-Title", "future-plugin").attribute("Implementation-Version", "3.1")
                .source("com.example.future.GoodBox", box("com.example.future", "GoodBox", "future-box"))
                .writeTo(dir.resolve("future.jar"));
        Path newerMinor = TestJar.plugin("com.example.minor", "1.9")
                .source("com.example.minor.GoodBox", box("com.example.minor", "GoodBox", "minor-box"))
                .writeTo(dir.resolve("minor.jar"));
        Path good = goodJar("good.jar", "com.example.good", "good-box");
        Roles roles = Roles.discover(load(future, newerMinor, good));

        assertEquals(List.of("good-box"), List.copyOf(roles.all().keySet()));
        assertEquals(List.of(good), plugins.loaded().stream().map(l -> l.jar().path()).toList());
        assertEquals("plugin future-plugin 3.1 (" + future + ") was built for cgrender plugin API 2.0, but this"
                + " cgrender supports plugin API 1.3 (plugins built for 1.0 to 1.3); use a build of the plugin for"
                + " plugin API 1.x, or a newer cgrender; skipped", warnings.get(0));
        assertTrue(warnings.get(1).contains(newerMinor + " was built for cgrender plugin API 1.9")
                && warnings.get(1).contains("it needs a newer cgrender"), warnings.get(1));
    }

    @Test
    void jarsThatAreNotPluginsAreSkippedWithAWarning() throws Exception {
        Path plain = TestJar.plain().source("com.example.Plain", "package com.example; public class Plain { }")
                .writeTo(dir.resolve("plain.jar"));
        Path broken = Files.writeString(dir.resolve("broken.jar"), "not a zip file");
        Path noVersion = TestJar.plain().attribute(PluginJar.PACKAGES, "com.example")
                .writeTo(dir.resolve("no-version.jar"));
        Path badPackage = TestJar.plugin("com.example.povray, not-a-package", "1.0")
                .writeTo(dir.resolve("bad-package.jar"));
        load(plain, broken, noVersion, badPackage);
        assertEquals(List.of(), plugins.loaded());
        assertEquals(4, warnings.size(), String.join("\n", warnings));
        assertTrue(warnings.get(0).contains(plain + " has no Cgrender-Plugin-Packages entry"), warnings.get(0));
        assertTrue(warnings.get(1).contains(broken + " is not a readable jar"), warnings.get(1));
        assertTrue(warnings.get(2).contains("no Cgrender-Api-Version"), warnings.get(2));
        assertTrue(warnings.get(3).contains("'not-a-package'"), warnings.get(3));
    }

    @Test
    void servicesOfPluginsAreFoundWithTheirJarAndABrokenProviderIsSkipped() {
        String pkg = "com.example.clouds";
        String provider = "package " + pkg + ";\n"
                + "import io.cgrender.core.cloud.*;\n"
                + "public class %s implements CloudProvider {\n"
                + "  %s\n"
                + "  public String name() { return \"%s\"; }\n"
                + "  public String description() { return \"test cloud\"; }\n"
                + "  public Cloud open(CloudContext context) { throw new UnsupportedOperationException(); }\n"
                + "}\n";
        Path jar = TestJar.plugin(pkg, "1.0")
                .source(pkg + ".TestCloudProvider", provider.formatted("TestCloudProvider", "", "test-cloud"))
                .source(pkg + ".BrokenCloudProvider", provider.formatted("BrokenCloudProvider",
                        "static { if (true) throw new IllegalStateException(\"boom\"); }", "broken-cloud"))
                .service(CloudProvider.class.getName(), pkg + ".TestCloudProvider", pkg + ".BrokenCloudProvider",
                        pkg + ".AbsentCloudProvider")
                .writeTo(dir.resolve("clouds.jar"));
        load(jar);
        List<Plugins.Found<CloudProvider>> found = plugins.services(CloudProvider.class);
        assertEquals(List.of(jar.toString()), found.stream().map(Plugins.Found::source).toList());
        assertEquals("test-cloud", found.get(0).provider().name());
        assertWarning(jar, pkg + ".BrokenCloudProvider", "its static initializer threw java.lang.IllegalStateException");
        assertWarning(jar, pkg + ".AbsentCloudProvider", "is not in the jar");
        assertTrue(CloudProviders.discover(plugins).all().containsKey("test-cloud"));

        // Code that takes one class loader (ServiceLoader, a seam like the EC2 instance-access resolver) sees it too.
        plugins.close();
        Path clean = TestJar.plugin(pkg, "1.0")
                .source(pkg + ".TestCloudProvider", provider.formatted("TestCloudProvider", "", "test-cloud"))
                .service(CloudProvider.class.getName(), pkg + ".TestCloudProvider")
                .writeTo(dir.resolve("clean.jar"));
        List<String> viaLoader = new ArrayList<>();
        for (CloudProvider p : ServiceLoader.load(CloudProvider.class, load(clean).classLoader())) {
            viaLoader.add(p.name());
        }
        viaLoader.removeIf(name -> !name.equals("test-cloud"));
        assertEquals(List.of("test-cloud"), viaLoader);
    }

    @Test
    void aPluginsReferenceConfDeclaresItsSettings() throws Exception {
        Path jar = TestJar.plugin("com.example.conf", "1.0")
                .resource("reference.conf", "cgrender.example-plugin { quality = 9 }\n")
                .writeTo(dir.resolve("conf.jar"));
        Path home = Files.createDirectories(dir.resolve("home"));
        Path user = Files.writeString(dir.resolve("user.conf"), "cgrender.example-plugin.quality = 11\n");
        Dirs dirs = Dirs.from(Map.of(), home);
        Settings settings = Settings.load(dirs, Optional.of(user), Map.of(), Map.of(), load(jar).classLoader());
        assertEquals(11, settings.config().getInt("cgrender.example-plugin.quality"));
        assertThrows(UsageException.class, () -> Settings.load(dirs, Optional.of(user), Map.of(), Map.of()),
                "without the plugin the key is unknown");
    }

    @Test
    void thePluginPathIsOptionsThenEnvironmentThenTheUserDirectoryEachJarOnce() throws Exception {
        Path userDir = Files.createDirectories(dir.resolve("config/plugins"));
        Path inUserDir = Files.writeString(userDir.resolve("b.jar"), "");
        Path alsoInUserDir = Files.writeString(userDir.resolve("a.jar"), "");
        Files.writeString(userDir.resolve("notes.txt"), "");
        Path optionJar = Files.writeString(dir.resolve("option.jar"), "");
        Path envDir = Files.createDirectories(dir.resolve("env"));
        Path envJar = Files.writeString(envDir.resolve("env.jar"), "");
        List<String> warned = new ArrayList<>();

        List<Path> jars = PluginPath.resolve(List.of(Path.of("option.jar")),
                envDir + ":" + dir.resolve("missing") + "::" + alsoInUserDir, userDir, dir, warned::add);

        assertEquals(List.of(optionJar, envJar, alsoInUserDir, inUserDir), jars);
        assertEquals(List.of(PluginPath.ENV + " entry " + dir.resolve("missing")
                + ": no such file or directory; ignored"), warned);
        UsageException e = assertThrows(UsageException.class, () -> PluginPath.resolve(List.of(Path.of("nope")),
                null, userDir, dir, warned::add));
        assertEquals("--plugin-path nope: no such file or directory", e.getMessage());
        assertEquals(List.of(), PluginPath.resolve(List.of(), null, dir.resolve("absent"), dir, warned::add));
    }

    private void assertWarning(Path jar, String className, String why) {
        assertTrue(warnings.stream().anyMatch(w -> w.contains(className) && w.contains(jar.toString())
                        && w.contains(why) && !w.contains("\n")),
                "no one-line warning naming " + jar + ", " + className + " and '" + why + "' in:\n"
                        + String.join("\n", warnings));
    }
}
