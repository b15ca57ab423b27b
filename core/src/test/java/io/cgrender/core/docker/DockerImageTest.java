package io.cgrender.core.docker;

import io.cgrender.core.UsageException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Image references are checked against Docker's grammar before anything is launched. */
class DockerImageTest {

    private static final String DIGEST = "sha256:" + "0123456789abcdef".repeat(4);

    @Test
    void referencesDockerTakesAreTaken() {
        for (String ok : new String[] {"busybox", "ubuntu:24.04", "library/ubuntu", "ghcr.io/owner/tool:1.2",
                "localhost:5000/x", "localhost/x:latest", "registry.example.com:443/a/b_c/d-e:v1.0", "my__image",
                "a.b-c---d", "Registry.Example.com/x", "busybox@" + DIGEST, "ghcr.io/o/t:1@" + DIGEST,
                "cgrender-test/busybox:1a2b3c"}) {
            assertEquals(ok, DockerImage.parse(ok).reference(), ok);
        }
    }

    @Test
    void othersAreRefusedSayingWhy() {
        assertWhy("", "it is empty");
        assertWhy("Ubuntu", "a name is lower-case");
        assertWhy("ubuntu:", "the tag after ':'");
        assertWhy("ubuntu:.x", "the tag after ':'");
        assertWhy("a//b", "a name is lower-case");
        assertWhy("-it", "a name is lower-case");
        assertWhy("a b", "a name is lower-case");
        assertWhy("busybox@sha256:xyz", "the digest after '@'");
        assertWhy("exa_mple.com/x", "'exa_mple.com' is not a registry host[:port]");
        assertWhy("x".repeat(256), "longer than 255");
    }

    private static void assertWhy(String reference, String why) {
        UsageException e = assertThrows(UsageException.class, () -> DockerImage.parse(reference), reference);
        assertTrue(e.getMessage().startsWith("--docker '" + reference + "' is not an image reference: "),
                e.getMessage());
        assertTrue(e.getMessage().contains(why), reference + ": " + e.getMessage());
        assertTrue(e.hint().orElseThrow().startsWith("fix: name an image as Docker does"), e.hint().toString());
    }
}
