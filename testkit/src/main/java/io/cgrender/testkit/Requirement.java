package io.cgrender.testkit;

import org.junit.jupiter.api.Assumptions;

/**
 * What a test needs of this machine: a program, moto, root. Where it is missing, the test is skipped with the reason,
 * except on CI ({@code CI=true}), where it fails with the reason: a CI run that skips what it cannot do proves nothing.
 */
public final class Requirement {

    private Requirement() {
    }

    /** Carries on if {@code met}; otherwise skips the calling test (fails it on CI), saying what is {@code missing}. */
    public static void require(boolean met, String missing) {
        if (met) {
            return;
        }
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new AssertionError(missing + " (CI=true: a test that cannot run fails)");
        }
        Assumptions.abort(missing + ": skipping the test");
    }
}
