package io.cgrender.core.config;

import com.typesafe.config.ConfigUtil;
import io.cgrender.core.UsageException;
import io.cgrender.core.ns.Namespace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SettingsTest {

    @TempDir
    Path home;

    private Dirs dirs() {
        return Dirs.from(Map.of("XDG_CONFIG_HOME", home.resolve("cfg").toString()), home);
    }

    @Test
    void xdgVariablesDecideWhereStateLives() {
        Dirs custom = Dirs.from(Map.of("XDG_CONFIG_HOME", "/x/c", "XDG_DATA_HOME", "/x/d", "XDG_STATE_HOME", "/x/s"),
                Path.of("/home/u"));
        assertEquals(Path.of("/x/c/cgrender"), custom.config());
        assertEquals(Path.of("/x/d/cgrender"), custom.data());
        assertEquals(Path.of("/x/s/cgrender"), custom.state());
        assertEquals(Path.of("/x/c/cgrender/known_hosts"), custom.knownHosts());
        Dirs defaults = Dirs.from(Map.of("XDG_DATA_HOME", "relative/ignored"), Path.of("/home/u"));
        assertEquals(Path.of("/home/u/.config/cgrender"), defaults.config());
        assertEquals(Path.of("/home/u/.local/share/cgrender"), defaults.data());
        assertEquals(Path.of("/home/u/.local/state/cgrender"), defaults.state());
    }

    @Test
    void defaultsComeFromReferenceConf() {
        Settings s = Settings.load(dirs(), Optional.empty(), Map.of(), Map.of());
        assertEquals("local", s.cloud());
        assertEquals("/__me__/", s.namespace());
        assertEquals(Duration.ofMinutes(30), s.idleTimeout());
        assertEquals(Duration.ofHours(8), s.maxLifetime());
    }

    @Test
    void layersOverrideInOrderUserFileThenDashCThenEnvironmentThenOptions() throws IOException {
        Files.createDirectories(dirs().config());
        Files.writeString(dirs().userConfigFile(), "cgrender.box.idle-timeout = 5m\ncgrender.namespace = \"/user/\"\n"
                + "cgrender.box.max-lifetime = 2h\n");
        Path extra = Files.writeString(home.resolve("extra.conf"), "cgrender.box.idle-timeout = 7m\n"
                + "cgrender.namespace = \"/extra/\"\n");
        Settings s = Settings.load(dirs(), Optional.of(extra), Map.of("CGRENDER_NAMESPACE", "/env/"),
                Map.of("cgrender.cloud", "other"));
        assertEquals(Duration.ofMinutes(7), s.idleTimeout());
        assertEquals(Duration.ofHours(2), s.maxLifetime());
        assertEquals("/env/", s.namespace());
        assertEquals("other", s.cloud());
    }

    @Test
    void anUnknownKeyIsRefusedWithItsOriginAndTheKnownKeys() throws IOException {
        Path file = Files.writeString(home.resolve("typo.conf"), "cgrender {\n  box {\n    idle-timout = 5m\n  }\n}\n");
        UsageException e = assertThrows(UsageException.class,
                () -> Settings.load(dirs(), Optional.of(file), Map.of(), Map.of()));
        assertTrue(e.getMessage().contains("cgrender.box.idle-timout"), e.getMessage());
        assertTrue(e.getMessage().contains("typo.conf: 3"), e.getMessage());
        assertTrue(e.getMessage().contains("idle-timeout, max-lifetime"), e.getMessage());
    }

    @Test
    void aBadDurationIsRefused() throws IOException {
        Path file = Files.writeString(home.resolve("bad.conf"), "cgrender.box.max-lifetime = forever\n");
        UsageException e = assertThrows(UsageException.class,
                () -> Settings.load(dirs(), Optional.of(file), Map.of(), Map.of()));
        assertTrue(e.getMessage().contains("max-lifetime"), e.getMessage());
    }

    @Test
    void aZeroDurationIsRefused() throws IOException {
        Path file = Files.writeString(home.resolve("zero.conf"), "cgrender.box.idle-timeout = 0s\n");
        UsageException e = assertThrows(UsageException.class,
                () -> Settings.load(dirs(), Optional.of(file), Map.of(), Map.of()));
        assertTrue(e.getMessage().contains("positive duration"), e.getMessage());
    }

    @Test
    void aWrongTypeIsRefused() throws IOException {
        Path file = Files.writeString(home.resolve("type.conf"), "cgrender.box { idle-timeout { a = 1 } }\n");
        UsageException e = assertThrows(UsageException.class,
                () -> Settings.load(dirs(), Optional.of(file), Map.of(), Map.of()));
        assertTrue(e.getMessage().contains("idle-timeout"), e.getMessage());
    }

    @Test
    void aMissingDashCFileAndASyntaxErrorAreRefused() throws IOException {
        UsageException missing = assertThrows(UsageException.class,
                () -> Settings.load(dirs(), Optional.of(home.resolve("nope.conf")), Map.of(), Map.of()));
        assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
        Path broken = Files.writeString(home.resolve("broken.conf"), "cgrender { box = \n");
        UsageException syntax = assertThrows(UsageException.class,
                () -> Settings.load(dirs(), Optional.of(broken), Map.of(), Map.of()));
        assertTrue(syntax.getMessage().contains("broken.conf"), syntax.getMessage());
    }

    @Test
    void savedDefaultsSitBelowTheUserFileAndKeepWhatTheyHeld() throws IOException {
        Namespace dotted = Namespace.parse("/team.a/", null);
        SavedDefaults saved = SavedDefaults.of(dirs());
        saved.save(Map.of("cgrender.box.idle-timeout", "9m", "cgrender.cloud", "saved-cloud"));
        saved.save(Map.of(ConfigUtil.joinPath("cgrender", "primary", dotted.toString()), "i-1",
                ConfigUtil.joinPath("cgrender", "roles", "render-box", "instance-type"), "c6i.4xlarge"));
        Files.writeString(dirs().userConfigFile(), "cgrender.box.idle-timeout = 5m\n");

        Settings s = Settings.load(dirs(), Optional.empty(), Map.of(), Map.of());

        assertEquals(Duration.ofMinutes(5), s.idleTimeout(), "the user's own file wins");
        assertEquals("saved-cloud", s.cloud(), "what was saved first is kept");
        assertEquals(Optional.of("i-1"), s.primaryBox(dotted), "a namespace with a dot is one key");
        assertEquals(Optional.empty(), s.primaryBox(Namespace.parse("/team/", null)));
        assertEquals(Optional.of("c6i.4xlarge"), s.roleDefault("render-box", "instance-type"));
        assertTrue(Files.readString(saved.file()).startsWith("# Saved by cgrender"));
    }
}
