package io.cgrender.core.cloud;

/**
 * Something a namespace left behind that {@code cgrender gc} can remove.
 *
 * @param kind   what it is, e.g. {@code box}, {@code image}, {@code key pair}, {@code security group}
 * @param id     its id
 * @param reason why it counts as garbage, e.g. "expired at 2026-11-25T10:00:00Z"
 */
public record Garbage(String kind, String id, String reason) {
}
