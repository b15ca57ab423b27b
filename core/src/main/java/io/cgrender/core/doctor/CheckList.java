package io.cgrender.core.doctor;

import java.util.List;

/**
 * The checks a cloud provider contributes to {@code cgrender doctor}, with what they share (e.g. the cloud's API
 * clients), which closing the list releases.
 */
public record CheckList(List<Check> checks, AutoCloseable resources) implements AutoCloseable {

    public CheckList {
        checks = List.copyOf(checks);
    }

    public static CheckList of(List<Check> checks) {
        return new CheckList(checks, () -> { });
    }

    public static CheckList none() {
        return of(List.of());
    }

    @Override
    public void close() throws Exception {
        resources.close();
    }
}
