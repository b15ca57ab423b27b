package io.cgrender.core.delivery;

import io.cgrender.core.job.After;

import java.util.Optional;

/**
 * Where a render's results go and who hears about it, checked by {@link ResultDelivery#target}.
 *
 * @param location the storage location, e.g. {@code s3://bucket/prefix/}; the cloud's own notation
 * @param email    who is mailed when a job ends, if anyone
 * @param after    what the box does once the job is delivered
 */
public record DeliveryTarget(String location, Optional<EmailAddress> email, After after) {
}
