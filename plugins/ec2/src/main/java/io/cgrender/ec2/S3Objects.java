package io.cgrender.ec2;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.sync.FileHashes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HexFormat;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Reading and writing single S3 objects the way results need it: a missing object is empty, downloads are atomic, and
 * every request names the account that must own the bucket ({@code ExpectedBucketOwner}), so that a bucket deleted
 * and made again by another account is refused instead of read or written.
 */
final class S3Objects {

    private final AwsClients aws;
    private final Supplier<String> owner;

    /** @param owner the account that owns every bucket this reads or writes (the credentials' own) */
    S3Objects(AwsClients aws, Supplier<String> owner) {
        this.aws = aws;
        this.owner = owner;
    }

    /** The object as text, or empty when it (or its bucket) does not exist. */
    Optional<String> text(String bucket, String key) {
        try {
            return Optional.of(aws.s3().getObjectAsBytes(r -> r.bucket(bucket).key(key)
                    .expectedBucketOwner(owner.get()))
                    .asString(StandardCharsets.UTF_8));
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw aws.explain("reading s3://" + bucket + "/" + key, e);
        } catch (SdkException e) {
            throw aws.explain("reading s3://" + bucket + "/" + key, e);
        }
    }

    /**
     * Downloads the object to {@code target} through a temporary file beside it, checking its SHA-256 when one is
     * given: never a half-written or wrong file. Returns false when the object does not exist.
     *
     * @throws NotAsStored when its SHA-256 is not {@code sha256}
     */
    boolean download(String bucket, String key, Path target, Optional<String> sha256) {
        Path parent = target.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(parent);
            tmp = Files.createTempFile(parent, "." + target.getFileName(), ".part");
            Files.delete(tmp);
            Path into = tmp;
            aws.s3().getObject(r -> r.bucket(bucket).key(key).expectedBucketOwner(owner.get()),
                    ResponseTransformer.toFile(into));
            if (sha256.isPresent()) {
                String actual = HexFormat.of().formatHex(FileHashes.sha256digest(Files.readAllBytes(into)));
                if (!actual.equals(sha256.get())) {
                    throw new NotAsStored("s3://" + bucket + "/" + key + " is not what was stored (SHA-256 " + actual
                            + ", recorded " + sha256.get() + ")");
                }
            }
            Files.move(into, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return true;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
            throw aws.explain("downloading s3://" + bucket + "/" + key, e);
        } catch (SdkException e) {
            throw aws.explain("downloading s3://" + bucket + "/" + key, e);
        } catch (IOException e) {
            throw new CgrenderException("cannot write " + target + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // a leftover .part file is harmless
                }
            }
        }
    }

    /** An object whose content is not what was recorded when it was stored. */
    static final class NotAsStored extends CgrenderException {
        NotAsStored(String message) {
            super(message);
        }
    }

    void put(String bucket, String key, Path file) {
        aws.run("storing " + file + " as s3://" + bucket + "/" + key,
                () -> aws.s3().putObject(r -> r.bucket(bucket).key(key).expectedBucketOwner(owner.get()),
                        RequestBody.fromFile(file)));
    }

    void put(String bucket, String key, String text) {
        aws.run("storing s3://" + bucket + "/" + key, () -> aws.s3().putObject(r -> r.bucket(bucket).key(key)
                .expectedBucketOwner(owner.get()).contentType("application/json"),
                RequestBody.fromString(text, StandardCharsets.UTF_8)));
    }
}
