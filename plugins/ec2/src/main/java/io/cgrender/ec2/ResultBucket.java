package io.cgrender.ec2;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.UsageException;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.ui.Console;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.BucketLocationConstraint;
import software.amazon.awssdk.services.s3.model.CreateBucketRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.Tag;
import software.amazon.awssdk.services.s3.waiters.S3Waiter;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The bucket a namespace's results go to, checked before anything is launched. A bucket the user names
 * ({@code -o s3://…}, {@code cgrender.results.location}) must exist, belong to this account and be in the boxes'
 * region; otherwise cgrender uses its default bucket for the account, region and namespace, which it creates on first
 * use: private (public access blocked, objects owned by the bucket owner), tagged with the namespace. Clients that
 * first use the namespace at the same moment all succeed: S3 takes one create, and whoever finds the default bucket
 * not yet configured (made a moment ago by another client, or left so by one that crashed) configures it, which is
 * the same whoever does it. The namespace tag is put last, so a bucket carrying it is a configured one.
 */
final class ResultBucket {

    private final AwsClients aws;
    private final Console console;
    private final Duration pollInterval;
    private String account;

    ResultBucket(AwsClients aws, Console console, Duration pollInterval) {
        this.aws = aws;
        this.console = console;
        this.pollInterval = pollInterval;
    }

    /** The account of the credentials. */
    String account() {
        if (account == null) {
            account = aws.call("asking AWS STS who these credentials belong to", () -> aws.sts().getCallerIdentity())
                    .account();
        }
        return account;
    }

    /**
     * The default bucket of {@code namespace}: {@code cgrender-<account>-<region>-<hash>}, the hash (of the
     * namespace) standing in for the namespace itself, whose characters and length bucket names do not allow.
     */
    static String defaultName(String account, String region, Namespace namespace) {
        String hash = HexFormat.of().formatHex(io.cgrender.core.sync.FileHashes.sha256digest(
                namespace.toString().getBytes(StandardCharsets.UTF_8))).substring(0, 10);
        return ("cgrender-" + account + "-" + region + "-" + hash).toLowerCase(Locale.ROOT);
    }

    /**
     * The location {@code given} (from {@code from}), checked, or the default bucket of {@code namespace}, made if
     * need be.
     */
    S3Location resolve(Optional<String> given, String from, Namespace namespace) {
        if (given.isPresent()) {
            S3Location location = S3Location.given(given.get(), from);
            requireUsable(location.bucket(), from, false);
            return location;
        }
        String name = defaultName(account(), aws.region().id(), namespace);
        boolean created = !requireUsable(name, "cgrender's default bucket", true) && create(name, namespace);
        configure(name, namespace);
        if (created) {
            console.status("created bucket s3://" + name + " for the results of " + namespace + " in "
                    + aws.region().id() + " (private, public access blocked)");
        }
        return new S3Location(name, "");
    }

    /**
     * What {@link #resolve} would use, making and changing nothing: the location {@code given} (from {@code from}),
     * checked as {@link #resolve} checks it; else cgrender's default bucket of {@code namespace}, checked, if it exists
     * (empty when the first render is still to make it).
     */
    Optional<S3Location> existing(Optional<String> given, String from, Namespace namespace) {
        if (given.isPresent()) {
            S3Location location = S3Location.given(given.get(), from);
            requireUsable(location.bucket(), from, false);
            return Optional.of(location);
        }
        String name = defaultName(account(), aws.region().id(), namespace);
        return requireUsable(name, "cgrender's default bucket", true) ? Optional.of(new S3Location(name, ""))
                : Optional.empty();
    }

    /**
     * Checks that {@code bucket} exists, is this account's and is in the boxes' region; returns false when it does
     * not exist and {@code mayBeMissing}.
     */
    private boolean requireUsable(String bucket, String from, boolean mayBeMissing) {
        String region = aws.region().id();
        String here = "bucket " + bucket + " (" + from + ")";
        try {
            aws.s3().headBucket(r -> r.bucket(bucket).expectedBucketOwner(account()));
        } catch (S3Exception e) {
            switch (e.statusCode()) {
                case 404 -> {
                    if (mayBeMissing) {
                        return false;
                    }
                    throw new UsageException("there is no S3 " + here + "; create it in " + region + ", or leave the"
                            + " location out to use cgrender's own bucket", e).fix("aws s3 mb s3://" + bucket
                            + " --region " + region);
                }
                case 403 -> throw new UsageException("S3 refused access to " + here + ": it belongs to another AWS"
                        + " account than " + account() + ", or these credentials may not use it; choose a bucket of"
                        + " account " + account() + " (or leave the location out to use cgrender's own bucket)", e);
                case 301 -> throw wrongRegion(here, e.awsErrorDetails().sdkHttpResponse()
                        .firstMatchingHeader("x-amz-bucket-region").orElse("another region"));
                default -> throw aws.explain("checking " + here, e);
            }
        } catch (SdkException e) {
            throw aws.explain("checking " + here, e);
        }
        String location = aws.call("asking where " + here + " is",
                () -> aws.s3().getBucketLocation(r -> r.bucket(bucket).expectedBucketOwner(account())))
                .locationConstraintAsString();
        String bucketRegion = location == null || location.isEmpty() ? "us-east-1"
                : location.equals("EU") ? "eu-west-1" : location;
        if (!bucketRegion.equals(region)) {
            throw wrongRegion(here, bucketRegion);
        }
        if (mayBeMissing) {
            // S3 vouched for the owner (expected bucket owner); the list may not show a bucket made a moment ago.
            Visibility.await(here + " among the account's buckets", pollInterval, console.progress(),
                    () -> Optional.of(Boolean.TRUE).filter(yes -> owned(bucket)));
        } else if (!owned(bucket)) {
            throw new UsageException(here + " belongs to another AWS account: it is not among the buckets of account "
                    + account() + "; choose a bucket of your own (or leave the location out to use cgrender's own"
                    + " bucket)");
        }
        return true;
    }

    private UsageException wrongRegion(String here, String bucketRegion) {
        String region = aws.region().id();
        return new UsageException(here + " is in " + bucketRegion + ", but the boxes run in " + region + "; render"
                + " with --region " + bucketRegion + ", or choose a bucket in " + region + " (every byte between"
                + " regions is paid for and slower)");
    }

    /**
     * Whether the account lists {@code bucket} among its own. S3 already refuses a bucket of another account when
     * asked with the expected owner; this also catches S3 look-alikes that do not check. Without permission to list
     * buckets, the answer is yes.
     */
    private boolean owned(String bucket) {
        try {
            return aws.s3().listBucketsPaginator(r -> r.maxBuckets(1000)).buckets().stream()
                    .anyMatch(b -> bucket.equals(b.name()));
        } catch (S3Exception e) {
            if (e.statusCode() == 403) {
                return true;
            }
            throw aws.explain("listing this account's buckets", e);
        } catch (SdkException e) {
            throw aws.explain("listing this account's buckets", e);
        }
    }

    /** Creates the bucket; false when another client of this account created it a moment ago. */
    private boolean create(String bucket, Namespace namespace) {
        String region = aws.region().id();
        CreateBucketRequest.Builder request = CreateBucketRequest.builder().bucket(bucket);
        if (!region.equals("us-east-1")) {
            request.createBucketConfiguration(c -> c.locationConstraint(BucketLocationConstraint.fromValue(region)));
        }
        boolean created = true;
        try {
            aws.s3().createBucket(request.build());
        } catch (S3Exception e) {
            String code = AwsErrors.code(e);
            if (code.equals("BucketAlreadyExists")) {
                throw new UsageException("cgrender's default bucket name " + bucket + " is taken by another AWS"
                        + " account; set cgrender.results.location to a bucket of yours (s3://bucket/prefix)", e);
            }
            if (!code.equals("BucketAlreadyOwnedByYou")) {
                throw aws.explain("creating bucket " + bucket + " for the results of " + namespace, e);
            }
            created = false;
        } catch (SdkException e) {
            throw aws.explain("creating bucket " + bucket + " for the results of " + namespace, e);
        }
        Duration timeout = Duration.ofMinutes(1);
        try (S3Waiter waiter = aws.s3().waiter()) {
            waiter.waitUntilBucketExists(r -> r.bucket(bucket), o -> o.waitTimeout(timeout));
        } catch (SdkException e) {
            throw new CgrenderException("bucket " + bucket + " was created but S3 does not show it after "
                    + timeout.toSeconds() + "s: " + e.getMessage(), e);
        }
        return created;
    }

    /**
     * Blocks public access to the default bucket and tags it with the namespace, unless it carries the namespace tag
     * already. Both are idempotent, and other tags are kept.
     */
    private void configure(String bucket, Namespace namespace) {
        List<Tag> tags = tags(bucket);
        if (tags.stream().anyMatch(t -> t.key().equals(Tags.NAMESPACE) && t.value().equals(namespace.toString()))) {
            return;
        }
        aws.run("blocking public access to bucket " + bucket, () -> aws.s3().putPublicAccessBlock(r -> r.bucket(bucket)
                .expectedBucketOwner(account()).publicAccessBlockConfiguration(c -> c.blockPublicAcls(true)
                        .ignorePublicAcls(true).blockPublicPolicy(true).restrictPublicBuckets(true))));
        Map<String, Tag> merged = new LinkedHashMap<>();
        tags.forEach(t -> merged.put(t.key(), t));
        merged.put("Name", Tag.builder().key("Name").value("cgrender results of " + namespace).build());
        merged.put(Tags.NAMESPACE, Tag.builder().key(Tags.NAMESPACE).value(namespace.toString()).build());
        aws.run("tagging bucket " + bucket, () -> aws.s3().putBucketTagging(r -> r.bucket(bucket)
                .expectedBucketOwner(account()).tagging(t -> t.tagSet(merged.values()))));
    }

    private List<Tag> tags(String bucket) {
        try {
            return aws.s3().getBucketTagging(r -> r.bucket(bucket).expectedBucketOwner(account())).tagSet();
        } catch (S3Exception e) {
            if (AwsErrors.code(e).equals("NoSuchTagSet")) {
                return List.of();
            }
            throw aws.explain("reading the tags of bucket " + bucket, e);
        } catch (SdkException e) {
            throw aws.explain("reading the tags of bucket " + bucket, e);
        }
    }
}
