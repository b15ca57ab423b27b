package io.cgrender.ec2.testkit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceMetadataTagsState;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.model.Credentials;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;

/**
 * The instance metadata service of one stand-in, as EC2 runs it for an instance (IMDSv2 only, as cgrender launches its
 * boxes): the instance's own id and region, and, only while moto shows an instance profile associated with the
 * instance, that profile's role under {@code iam/security-credentials/} with temporary credentials of it, which moto's
 * STS issues ({@code AssumeRole}, as EC2 does for the instance); and its tags under {@code tags/instance/} when it was
 * launched with tags in its metadata; and its user data at {@code latest/user-data}. moto's own metadata endpoint
 * knows no instance and hands the same credentials to anyone, so a box without an instance profile would have
 * credentials it could not have on EC2.
 */
final class StandinMetadata implements AutoCloseable {

    private static final String TAGS = "tags/instance/";

    private final String instanceId;
    private final String region;
    private final Ec2Client ec2;
    private final IamClient iam;
    private final StsClient sts;
    private final String token = UUID.randomUUID().toString();
    private final HttpServer server;
    private Credentials issued;
    private String issuedFor;

    StandinMetadata(String instanceId, String region, Ec2Client ec2, IamClient iam, StsClient sts) {
        this.instanceId = instanceId;
        this.region = region;
        this.ec2 = ec2;
        this.iam = iam;
        this.sts = sts;
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the instance metadata of " + instanceId, e);
        }
        server.createContext("/", this::handle);
        server.setExecutor(Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "standin-metadata-" + instanceId);
            t.setDaemon(true);
            return t;
        }));
        server.start();
    }

    /** {@code http://127.0.0.1:PORT/}, for {@code AWS_EC2_METADATA_SERVICE_ENDPOINT}. */
    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/";
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            if (exchange.getRequestMethod().equals("PUT") && path.equals("/latest/api/token")) {
                reply(exchange, 200, token);
                return;
            }
            if (!token.equals(exchange.getRequestHeaders().getFirst("X-aws-ec2-metadata-token"))) {
                reply(exchange, 401, ""); // IMDSv2 only
                return;
            }
            if (path.equals("/latest/user-data")) {
                Optional<String> userData = Standins.userData(ec2, instanceId);
                reply(exchange, userData.isPresent() ? 200 : 404, userData.orElse(""));
                return;
            }
            String item = path.startsWith("/latest/meta-data/") ? path.substring("/latest/meta-data/".length()) : "";
            switch (item) {
                case "instance-id" -> reply(exchange, 200, instanceId);
                case "placement/region" -> reply(exchange, 200, region);
                case "placement/availability-zone" -> reply(exchange, 200, region + "a");
                case "spot/instance-action" -> {
                    Optional<String> action = Standins.spotInstanceAction(instanceId);
                    reply(exchange, action.isPresent() ? 200 : 404, action.orElse(""));
                }
                case "iam/security-credentials/", "iam/security-credentials" -> {
                    Optional<String> role = role();
                    reply(exchange, role.isPresent() ? 200 : 404, role.orElse(""));
                }
                default -> {
                    if (item.startsWith(TAGS)) {
                        Optional<String> value = tag(item.substring(TAGS.length()));
                        reply(exchange, value.isPresent() ? 200 : 404, value.orElse(""));
                        return;
                    }
                    Optional<String> role = role();
                    if (role.isPresent() && item.equals("iam/security-credentials/" + role.get())) {
                        reply(exchange, 200, credentials(role.get()));
                    } else {
                        reply(exchange, 404, "");
                    }
                }
            }
        } catch (RuntimeException e) {
            // moto unreachable or the like: the box sees an error, as it would from a failing metadata service
        }
    }

    /**
     * The value of the instance's tag {@code key}, as EC2 serves it under {@code tags/instance/}: only when the
     * instance was launched with tags in its metadata.
     */
    private Optional<String> tag(String key) {
        Optional<Instance> instance = ec2.describeInstances(r -> r.instanceIds(instanceId)).reservations().stream()
                .flatMap(r -> r.instances().stream()).findFirst();
        if (instance.isEmpty() || instance.get().metadataOptions() == null
                || instance.get().metadataOptions().instanceMetadataTags() != InstanceMetadataTagsState.ENABLED) {
            return Optional.empty();
        }
        return instance.get().tags().stream().filter(t -> key.equals(t.key())).map(Tag::value).findFirst();
    }

    /** The name of the role of the instance profile moto shows associated with the instance, if any. */
    private Optional<String> role() {
        Optional<String> profileArn = ec2.describeIamInstanceProfileAssociations(r -> r.filters(
                        f -> f.name("instance-id").values(instanceId)))
                .iamInstanceProfileAssociations().stream()
                .filter(a -> !"disassociated".equals(a.stateAsString()))
                .map(a -> a.iamInstanceProfile().arn()).findFirst();
        if (profileArn.isEmpty()) {
            return Optional.empty();
        }
        String name = profileArn.get().substring(profileArn.get().lastIndexOf('/') + 1);
        return iam.getInstanceProfile(r -> r.instanceProfileName(name)).instanceProfile().roles().stream()
                .map(r -> r.roleName()).findFirst();
    }

    private synchronized String credentials(String roleName) {
        if (issued == null || !roleName.equals(issuedFor)
                || issued.expiration().isBefore(Instant.now().plusSeconds(300))) {
            String arn = iam.getRole(r -> r.roleName(roleName)).role().arn();
            issued = sts.assumeRole(r -> r.roleArn(arn).roleSessionName(instanceId)).credentials();
            issuedFor = roleName;
        }
        return "{\"Code\":\"Success\",\"LastUpdated\":\"" + Instant.now() + "\",\"Type\":\"AWS-HMAC\","
                + "\"AccessKeyId\":\"" + issued.accessKeyId() + "\",\"SecretAccessKey\":\""
                + issued.secretAccessKey() + "\",\"Token\":\"" + issued.sessionToken() + "\",\"Expiration\":\""
                + issued.expiration() + "\"}";
    }

    private static void reply(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain");
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            exchange.getResponseBody().write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
