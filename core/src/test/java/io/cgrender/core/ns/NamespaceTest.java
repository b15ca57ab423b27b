package io.cgrender.core.ns;

import io.cgrender.core.UsageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NamespaceTest {

    @Test
    void meExpandsToTheUserName() {
        assertEquals("/alice/", Namespace.parse("/__me__/", "alice").toString());
        assertEquals("/team/alice/ci/", Namespace.parse("/team/__me__/ci/", "Alice").toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"alice", "/alice", "alice/", "//", "/", "/Alice/", "/a//b/", "/-a/", "/a b/", "/_a/", "/a/.b/"})
    void invalidNamespacesAreRefusedWithTheRule(String text) {
        UsageException e = assertThrows(UsageException.class, () -> Namespace.parse(text, "alice"));
        assertTrue(e.getMessage().contains("namespace"), e.getMessage());
        assertTrue(e.getMessage().contains("starts and ends with '/'"), e.getMessage());
    }

    @Test
    void aUserNameThatIsNoComponentAsksForAnExplicitNamespace() {
        UsageException e = assertThrows(UsageException.class, () -> Namespace.parse("/__me__/", "John Smith"));
        assertTrue(e.getMessage().contains("-n /yourname/"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"/alice/", "/a/b/c/", "/a_b/", "/a_/b/", "/a__b/c_/", "/x.y-z/0/", "/a_/x_/"})
    void encodingIsReversible(String text) {
        Namespace ns = Namespace.parse(text, "unused");
        String encoded = ns.encoded();
        assertTrue(encoded.matches("[0-9a-z._-]+"), encoded);
        assertTrue(!encoded.contains("/"), encoded);
        assertEquals(ns, Namespace.decode(encoded));
    }

    @Test
    void encodingsOfDifferentNamespacesDiffer() {
        assertEquals("_a_b_", Namespace.parse("/a/b/", null).encoded());
        assertEquals("_a__b_", Namespace.parse("/a_b/", null).encoded());
        assertEquals("_alice_openscad-ubuntu-box", Namespace.parse("/alice/", null).resourceName("openscad-ubuntu-box"));
    }

    @Test
    void newBoxTagsCarryTheSchema() {
        Instant expires = Instant.parse("2030-01-01T00:00:00Z");
        Map<String, String> tags = Tags.forNewBox(Namespace.parse("/alice/", null), "r", "ubuntu", 3, expires,
                Duration.ofMinutes(30), "");
        assertEquals("/alice/", tags.get(Tags.NAMESPACE));
        assertEquals("r", tags.get(Tags.ROLE));
        assertEquals("3", tags.get(Tags.GENERATION));
        assertEquals("2030-01-01T00:00:00Z", tags.get(Tags.EXPIRES_AT));
        assertEquals("PT30M", tags.get(Tags.IDLE_TIMEOUT));
        assertEquals("launching", tags.get(Tags.STAGE));
        assertEquals("ubuntu", tags.get(Tags.LOGIN_USER));
        assertEquals("/alice/r", tags.get(Tags.NAME));
        assertEquals(Tags.Stage.SETTING_UP, Tags.Stage.fromTag("setting-up"));
    }
}
