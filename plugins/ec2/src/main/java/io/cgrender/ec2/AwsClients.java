package io.cgrender.ec2;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.UsageException;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.ContainerCredentialsProvider;
import software.amazon.awssdk.auth.credentials.InstanceProfileCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.profiles.Profile;
import software.amazon.awssdk.profiles.ProfileFile;
import software.amazon.awssdk.profiles.ProfileProperty;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.RegionMetadata;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;
import software.amazon.awssdk.services.ses.SesClient;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.sts.StsClient;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * The AWS clients of one EC2 cloud: one per service, built once when the cloud opens and closed with it, all sharing
 * one HTTP client with bounded timeouts (so an unreachable endpoint fails after
 * {@code cgrender.aws.timeouts.api-call} instead of hanging). Each retries a throttled or failed call up to
 * {@code cgrender.aws.max-attempts} times in the SDK's adaptive retry mode.
 * <p>
 * Region and credentials follow the AWS conventions, read from the invocation's environment (not the JVM's), with
 * the region and profile of the command line or config first:
 * <ul>
 *   <li>region: {@code --region} / {@code cgrender.aws.region}, {@code AWS_REGION}, {@code AWS_DEFAULT_REGION}, the
 *       profile's {@code region} in {@code ~/.aws/config} ({@code AWS_CONFIG_FILE});</li>
 *   <li>credentials: with {@code --profile} / {@code cgrender.aws.profile}, that profile only; otherwise
 *       {@code AWS_ACCESS_KEY_ID} + {@code AWS_SECRET_ACCESS_KEY} (+ {@code AWS_SESSION_TOKEN}), the profile
 *       {@code AWS_PROFILE} or {@code default} of {@code ~/.aws/credentials} ({@code AWS_SHARED_CREDENTIALS_FILE})
 *       and {@code ~/.aws/config}, a container's credentials, an instance's role (unless
 *       {@code AWS_EC2_METADATA_DISABLED=true}).</li>
 * </ul>
 * Missing ones are refused when the cloud opens, naming what to set, before anything is launched.
 */
final class AwsClients implements AutoCloseable {

    private final Region region;
    private final Sources sources;
    private final Optional<URI> endpoint;
    private final Ec2Settings settings;
    private final AwsCredentialsProvider credentials;
    private final Ec2Client ec2;
    private final SsmClient ssm;
    private final Services services;
    private final SdkHttpClient http;

    /** Where the region and the credentials came from, for {@code cgrender doctor}. */
    record Sources(String region, String credentials) {
    }

    /** A value and where it came from (a setting, a variable, a profile). */
    private record Sourced<T>(T value, String from) {
    }

    /** The clients of the other services results and mail need: built with EC2's, used only by renders. */
    private record Services(S3Client s3, S3Presigner presigner, SesClient ses, IamClient iam, StsClient sts) {
    }

    /** The clients of the box agents' channel (SNS, SQS): built on first use, as few commands reach the agents. */
    private static final class Channel implements AutoCloseable {
        private final java.util.function.Supplier<SnsClient> newSns;
        private final java.util.function.Supplier<SqsClient> newSqs;
        private SnsClient sns;
        private SqsClient sqs;

        Channel(java.util.function.Supplier<SnsClient> newSns, java.util.function.Supplier<SqsClient> newSqs) {
            this.newSns = newSns;
            this.newSqs = newSqs;
        }

        synchronized SnsClient sns() {
            if (sns == null) {
                sns = newSns.get();
            }
            return sns;
        }

        synchronized SqsClient sqs() {
            if (sqs == null) {
                sqs = newSqs.get();
            }
            return sqs;
        }

        @Override
        public synchronized void close() {
            if (sns != null) {
                sns.close();
            }
            if (sqs != null) {
                sqs.close();
            }
        }
    }

    private final Channel channel;

    private AwsClients(Ec2Settings settings, Region region, Sources sources, AwsCredentialsProvider credentials,
                       Ec2Client ec2, SsmClient ssm, Services services, Channel channel, SdkHttpClient http) {
        this.channel = channel;
        this.settings = settings;
        this.region = region;
        this.sources = sources;
        this.endpoint = settings.endpoint();
        this.credentials = credentials;
        this.ec2 = ec2;
        this.ssm = ssm;
        this.services = services;
        this.http = http;
    }

    /** Resolves region and credentials from {@code settings} and {@code env} and builds the clients. */
    static AwsClients open(Ec2Settings configured, Map<String, String> env) {
        Ec2Settings settings = configured.endpoint().isPresent() ? configured
                : withEndpoint(configured, env.get("AWS_ENDPOINT_URL"));
        ProfileFiles profiles = ProfileFiles.of(env);
        String profileName = settings.profile().or(() -> nonBlank(env.get("AWS_PROFILE"))).orElse("default");
        Sourced<Region> sourcedRegion = region(settings, env, profiles, profileName);
        Sourced<AwsCredentialsProvider> sourcedCredentials = credentials(settings, env, profiles, profileName);
        Region region = sourcedRegion.value();
        AwsCredentialsProvider credentials = sourcedCredentials.value();
        Sources sources = new Sources(sourcedRegion.from(), sourcedCredentials.from());
        SdkHttpClient http = UrlConnectionHttpClient.builder()
                .connectionTimeout(settings.connectTimeout())
                .socketTimeout(settings.apiCallAttemptTimeout())
                .build();
        // Adaptive retries: throttled calls are retried with backoff and, while a service throttles, each client
        // (built with its own strategy from the mode) sends at the rate the service accepts.
        ClientOverrideConfiguration overrides = ClientOverrideConfiguration.builder()
                .apiCallTimeout(settings.apiCallTimeout())
                .apiCallAttemptTimeout(settings.apiCallAttemptTimeout())
                .retryStrategy(RetryMode.ADAPTIVE_V2)
                .retryStrategy(b -> b.maxAttempts(settings.maxAttempts()))
                .build();
        var ec2 = Ec2Client.builder().region(region).credentialsProvider(credentials).httpClient(http)
                .overrideConfiguration(overrides);
        var ssm = SsmClient.builder().region(region).credentialsProvider(credentials).httpClient(http)
                .overrideConfiguration(overrides);
        // An endpoint override (an emulator) serves S3 under its own host name: buckets go in the path.
        boolean pathStyle = settings.endpoint().isPresent();
        var s3 = S3Client.builder().region(region).credentialsProvider(credentials).httpClient(http)
                .overrideConfiguration(overrides).forcePathStyle(pathStyle);
        var presigner = S3Presigner.builder().region(region).credentialsProvider(credentials)
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(pathStyle).build());
        var ses = SesClient.builder().region(region).credentialsProvider(credentials).httpClient(http)
                .overrideConfiguration(overrides);
        var iam = IamClient.builder().region(Region.AWS_GLOBAL).credentialsProvider(credentials).httpClient(http)
                .overrideConfiguration(overrides);
        var sts = StsClient.builder().region(region).credentialsProvider(credentials).httpClient(http)
                .overrideConfiguration(overrides);
        settings.endpoint().ifPresent(uri -> {
            ec2.endpointOverride(uri);
            ssm.endpointOverride(uri);
            s3.endpointOverride(uri);
            presigner.endpointOverride(uri);
            ses.endpointOverride(uri);
            iam.endpointOverride(uri);
            sts.endpointOverride(uri);
        });
        Channel channel = new Channel(() -> {
            var sns = SnsClient.builder().region(region).credentialsProvider(credentials).httpClient(http)
                    .overrideConfiguration(overrides);
            settings.endpoint().ifPresent(sns::endpointOverride);
            return sns.build();
        }, () -> {
            var sqs = SqsClient.builder().region(region).credentialsProvider(credentials).httpClient(http)
                    .overrideConfiguration(overrides);
            settings.endpoint().ifPresent(sqs::endpointOverride);
            return sqs.build();
        });
        return new AwsClients(settings, region, sources, credentials, ec2.build(), ssm.build(),
                new Services(s3.build(), presigner.build(), ses.build(), iam.build(), sts.build()), channel, http);
    }

    /** These clients with {@code other} for EC2 (e.g. a wrapper that injects failures in tests); closes it too. */
    AwsClients withEc2(Ec2Client other) {
        return new AwsClients(settings, region, sources, credentials, other, ssm, services, channel, http);
    }

    /** These clients with {@code other} for IAM (e.g. one that refuses, in tests); closes it too. */
    AwsClients withIam(IamClient other) {
        return new AwsClients(settings, region, sources, credentials, ec2, ssm, new Services(services.s3(),
                services.presigner(), services.ses(), other, services.sts()), channel, http);
    }

    /** These clients with {@code other} for S3 (e.g. a wrapper that injects answers in tests); closes it too. */
    AwsClients withS3(S3Client other) {
        return new AwsClients(settings, region, sources, credentials, ec2, ssm, new Services(other,
                services.presigner(),
                services.ses(), services.iam(), services.sts()), channel, http);
    }

    Region region() {
        return region;
    }

    /** The partition of the region, as ARNs name it: {@code aws}, {@code aws-cn}, {@code aws-us-gov}. */
    String partition() {
        RegionMetadata metadata = region.metadata();
        return metadata == null || metadata.partition() == null ? "aws" : metadata.partition().id();
    }

    /** Where the region and the credentials came from. */
    Sources sources() {
        return sources;
    }

    Ec2Client ec2() {
        return ec2;
    }

    SsmClient ssm() {
        return ssm;
    }

    S3Client s3() {
        return services.s3();
    }

    S3Presigner presigner() {
        return services.presigner();
    }

    SesClient ses() {
        return services.ses();
    }

    IamClient iam() {
        return services.iam();
    }

    StsClient sts() {
        return services.sts();
    }

    SnsClient sns() {
        return channel.sns();
    }

    SqsClient sqs() {
        return channel.sqs();
    }

    /** The credentials every client signs with (presigned URLs carry their key id, never the secret). */
    AwsCredentialsProvider credentials() {
        return credentials;
    }

    /** The endpoint override, if any (an emulator such as moto). */
    Optional<URI> endpoint() {
        return endpoint;
    }

    /** "EC2 in us-east-1" or "EC2 in us-east-1 at http://127.0.0.1:5000", for messages. */
    String where() {
        return "EC2 in " + region.id() + endpoint.map(uri -> " at " + uri).orElse("");
    }

    /** Runs one API call, turning SDK failures into messages that say what was being done and what to check. */
    <T> T call(String doing, Supplier<T> call) {
        try {
            return call.get();
        } catch (SdkException e) {
            throw explain(doing, e);
        }
    }

    /** The explanation of an SDK failure that happened while {@code doing} something. */
    CgrenderException explain(String doing, SdkException e) {
        return AwsErrors.explain(doing, e, this, settings);
    }

    /** As {@link #call(String, Supplier)}, for calls whose answer is not needed. */
    void run(String doing, Runnable call) {
        call(doing, () -> {
            call.run();
            return null;
        });
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        for (AutoCloseable c : new AutoCloseable[] {ec2, ssm, services.s3(), services.presigner(), services.ses(),
                services.iam(), services.sts(), channel, http}) {
            try {
                c.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = new CgrenderException("cannot close the AWS clients: " + e.getMessage(), e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    // ---------------------------------------------------------------- region and credentials

    private static Sourced<Region> region(Ec2Settings settings, Map<String, String> env, ProfileFiles profiles,
                                          String profileName) {
        String name;
        String from;
        if (settings.region().isPresent()) {
            name = settings.region().get();
            from = "--region / cgrender.aws.region";
        } else if (nonBlank(env.get("AWS_REGION")).isPresent()) {
            name = env.get("AWS_REGION").strip();
            from = "AWS_REGION";
        } else if (nonBlank(env.get("AWS_DEFAULT_REGION")).isPresent()) {
            name = env.get("AWS_DEFAULT_REGION").strip();
            from = "AWS_DEFAULT_REGION";
        } else {
            Optional<String> fromProfile = profiles.file().profile(profileName)
                    .flatMap(p -> p.property(ProfileProperty.REGION));
            if (fromProfile.isEmpty()) {
                throw new UsageException("no AWS region: pass --region (e.g. --region us-east-1), set AWS_REGION,"
                        + " put cgrender.aws.region in " + "$XDG_CONFIG_HOME/cgrender/cgrender.conf, or set region"
                        + " for profile '" + profileName + "' in " + profiles.config() + " (aws configure)");
            }
            name = fromProfile.get().strip();
            from = "profile '" + profileName + "' in " + profiles.config();
        }
        Region region = Region.of(name);
        if (!Region.regions().contains(region)) {
            TreeSet<String> known = new TreeSet<>();
            Region.regions().stream().map(Region::id).filter(id -> !id.contains("global") && !id.startsWith("aws-"))
                    .forEach(known::add);
            throw new UsageException("unknown AWS region '" + name + "' (from " + from + "); known regions: "
                    + String.join(", ", known));
        }
        return new Sourced<>(region, from);
    }

    private static Sourced<AwsCredentialsProvider> credentials(Ec2Settings settings, Map<String, String> env,
                                                               ProfileFiles profiles, String profileName) {
        if (settings.profile().isPresent()) {
            return profile(profiles, profileName, "--profile / cgrender.aws.profile")
                    .map(p -> new Sourced<>(p, "profile '" + profileName + "' (--profile / cgrender.aws.profile)"))
                    .orElseThrow(() -> new UsageException("AWS profile '" + profileName + "' (from --profile /"
                            + " cgrender.aws.profile) is not in " + profiles.credentials() + " or " + profiles.config()
                            + profiles.known()));
        }
        Optional<String> keyId = nonBlank(env.get("AWS_ACCESS_KEY_ID"));
        Optional<String> secret = nonBlank(env.get("AWS_SECRET_ACCESS_KEY"));
        if (keyId.isPresent() != secret.isPresent()) {
            throw new UsageException((keyId.isPresent() ? "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"
                    : "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not") + "; set both, or neither to use a"
                    + " profile of " + profiles.credentials());
        }
        if (keyId.isPresent()) {
            Optional<String> token = nonBlank(env.get("AWS_SESSION_TOKEN"));
            return new Sourced<>(StaticCredentialsProvider.create(token
                    .<software.amazon.awssdk.auth.credentials.AwsCredentials>map(t ->
                            AwsSessionCredentials.create(keyId.get(), secret.get(), t))
                    .orElseGet(() -> AwsBasicCredentials.create(keyId.get(), secret.get()))),
                    "AWS_ACCESS_KEY_ID" + (token.isPresent() ? " (with AWS_SESSION_TOKEN)" : ""));
        }
        boolean namedProfile = nonBlank(env.get("AWS_PROFILE")).isPresent();
        Optional<AwsCredentialsProvider> fromProfile = profile(profiles, profileName, "AWS_PROFILE");
        if (fromProfile.isPresent()) {
            return new Sourced<>(fromProfile.get(), "profile '" + profileName + "'" + (namedProfile
                    ? " (AWS_PROFILE)" : ""));
        }
        if (namedProfile) {
            throw new UsageException("AWS profile '" + profileName + "' (from AWS_PROFILE) is not in "
                    + profiles.credentials() + " or " + profiles.config() + profiles.known());
        }
        List<Sourced<AwsCredentialsProvider>> others = new ArrayList<>();
        if (env.containsKey("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
                || env.containsKey("AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
            others.add(new Sourced<>(ContainerCredentialsProvider.builder().build(), "the container's credentials"));
        }
        if (!"true".equalsIgnoreCase(env.getOrDefault("AWS_EC2_METADATA_DISABLED", "").strip())) {
            others.add(new Sourced<>(InstanceProfileCredentialsProvider.builder().build(), "the instance's role"));
        }
        for (Sourced<AwsCredentialsProvider> provider : others) {
            try {
                provider.value().resolveCredentials();
                return provider;
            } catch (SdkException unavailable) {
                // not in a container / not on an instance with a role: try the next
            }
        }
        throw new UsageException("no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or put them in "
                + profiles.credentials() + " and pick a profile with --profile or AWS_PROFILE").fix("aws configure");
    }

    /** Credentials of {@code name} from the profile files, checked now so that a broken profile fails early. */
    private static Optional<AwsCredentialsProvider> profile(ProfileFiles profiles, String name, String from) {
        Optional<Profile> profile = profiles.file().profile(name);
        if (profile.isEmpty()) {
            return Optional.empty();
        }
        ProfileCredentialsProvider provider = ProfileCredentialsProvider.builder()
                .profileFile(profiles.file()).profileName(name).build();
        try {
            provider.resolveCredentials();
        } catch (SdkException | IllegalStateException e) {
            throw new UsageException("AWS profile '" + name + "' (from " + from + ") has no usable credentials: "
                    + firstLine(e.getMessage()) + "; check " + profiles.credentials() + " and " + profiles.config());
        }
        return Optional.of(provider);
    }

    private static Ec2Settings withEndpoint(Ec2Settings s, String endpoint) {
        if (endpoint == null || endpoint.isBlank()) {
            return s;
        }
        return s.withEndpoint(Ec2Settings.endpoint(endpoint, "AWS_ENDPOINT_URL"));
    }

    private static Optional<String> nonBlank(String s) {
        return s == null || s.isBlank() ? Optional.empty() : Optional.of(s.strip());
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** ~/.aws/credentials and ~/.aws/config as the invocation's environment names them. */
    private record ProfileFiles(Path credentials, Path config, ProfileFile file) {

        static ProfileFiles of(Map<String, String> env) {
            Path home = Path.of(nonBlank(env.get("HOME")).orElse(System.getProperty("user.home")));
            Path credentials = nonBlank(env.get("AWS_SHARED_CREDENTIALS_FILE")).map(Path::of)
                    .orElse(home.resolve(".aws/credentials"));
            Path config = nonBlank(env.get("AWS_CONFIG_FILE")).map(Path::of).orElse(home.resolve(".aws/config"));
            ProfileFile.Aggregator aggregator = ProfileFile.aggregator();
            if (Files.isRegularFile(config)) {
                aggregator.addFile(ProfileFile.builder().content(config).type(ProfileFile.Type.CONFIGURATION).build());
            }
            if (Files.isRegularFile(credentials)) {
                aggregator.addFile(ProfileFile.builder().content(credentials).type(ProfileFile.Type.CREDENTIALS)
                        .build());
            }
            return new ProfileFiles(credentials, config, aggregator.build());
        }

        String known() {
            return file.profiles().isEmpty() ? " (there are no profiles)"
                    : "; known profiles: " + String.join(", ", new TreeSet<>(file.profiles().keySet()));
        }
    }
}
