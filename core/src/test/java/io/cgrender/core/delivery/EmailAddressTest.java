package io.cgrender.core.delivery;

import io.cgrender.core.UsageException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EmailAddressTest {

    @Test
    void ordinaryAddressesAreAccepted() {
        for (String ok : List.of("me@example.com", "first.last+renders@mail.example.co.uk", "a_b-c@sub-1.example.io",
                "x@example.museum")) {
            assertTrue(EmailAddress.valid(ok), ok);
        }
        EmailAddress parsed = EmailAddress.parse("  me@Example.com ", "--email");
        assertEquals("me@Example.com", parsed.address());
        assertEquals("Example.com", parsed.domain());
    }

    @Test
    void malformedAddressesAreRefusedNamingWhereTheyCameFrom() {
        for (String bad : List.of("", "me", "me@", "@example.com", "me@@example.com", "me@example", "me@exa mple.com",
                "me.@example.com", "me..you@example.com", "me@-example.com", "me@example.c", "<me@example.com>",
                "me@example.com,you@example.com")) {
            assertFalse(EmailAddress.valid(bad), bad);
        }
        UsageException e = assertThrows(UsageException.class, () -> EmailAddress.parse("me@example", "--email"));
        assertEquals("--email 'me@example' is not an email address; write it as name@example.com", e.getMessage());
    }
}
