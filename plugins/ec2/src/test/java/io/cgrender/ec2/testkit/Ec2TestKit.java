package io.cgrender.ec2.testkit;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import io.cgrender.testkit.MotoServer;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.ses.SesClient;
import software.amazon.awssdk.services.sts.StsClient;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What an EC2 test needs to run cgrender against moto with stand-ins: the shared {@link MotoServer} (reset for each
 * test), an environment with moto's dummy credentials (and no other way to find credentials), the configuration that
 * points cgrender at moto and selects the stand-ins, and a client of its own for assertions.
 */
public final class Ec2TestKit {

    private Ec2TestKit() {
    }

    /** The JVM's moto, reset; skips the calling test if moto or the stand-ins' needs are missing. */
    public static MotoServer freshMoto() {
        Standins.assumeAvailable();
        MotoServer moto = MotoServer.shared();
        moto.reset();
        return moto;
    }

    /** An invocation environment with moto's credentials and region, and {@code home} as HOME. */
    public static Map<String, String> environment(Path home) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("HOME", home.toString());
        env.put("AWS_ACCESS_KEY_ID", MotoServer.ACCESS_KEY);
        env.put("AWS_SECRET_ACCESS_KEY", MotoServer.SECRET_KEY);
        env.put("AWS_REGION", MotoServer.REGION);
        env.put("AWS_EC2_METADATA_DISABLED", "true");
        env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        return env;
    }

    /** Configuration values (full paths) that point the EC2 cloud at {@code moto} and its stand-ins. */
    public static Map<String, Object> config(MotoServer moto) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("cgrender.aws.endpoint", moto.endpoint());
        config.put("cgrender.ec2.access", MotoStandins.NAME);
        config.put("cgrender.ec2.ssh-cidrs", java.util.List.of("127.0.0.1/32"));
        config.put("cgrender.ec2.poll-interval", "200ms");
        // moto answers consistently at once: a second still makes every create wait out its last claim check
        config.put("cgrender.ec2.consistency-window", "1s");
        return config;
    }

    /** {@link #config} as a cgrender.conf file, with the cloud set to ec2. */
    public static String hocon(MotoServer moto) {
        return "cgrender {\n"
                + "  cloud = ec2\n"
                + "  aws.endpoint = \"" + moto.endpoint() + "\"\n"
                + "  ec2 {\n"
                + "    access = " + MotoStandins.NAME + "\n"
                + "    ssh-cidrs = [\"127.0.0.1/32\"]\n"
                + "    poll-interval = 200ms\n"
                + "    consistency-window = 1s\n"
                + "  }\n"
                + "}\n";
    }

    /** A client of moto's EC2, for looking at what cgrender did. Close it. */
    public static Ec2Client client(MotoServer moto) {
        return client(moto.endpoint());
    }

    /** A client of the EC2 API at {@code endpoint} (moto's, or a proxy's in front of it). Close it. */
    public static Ec2Client client(String endpoint) {
        return Ec2Client.builder()
                .endpointOverride(URI.create(endpoint))
                .region(Region.of(MotoServer.REGION))
                .credentialsProvider(credentials())
                .httpClient(UrlConnectionHttpClient.create())
                .build();
    }

    /** A client of moto's S3 (path-style, as moto serves it), for looking at stored results. Close it. */
    public static S3Client s3(MotoServer moto) {
        return S3Client.builder().endpointOverride(URI.create(moto.endpoint())).region(Region.of(MotoServer.REGION))
                .credentialsProvider(credentials()).httpClient(UrlConnectionHttpClient.create()).forcePathStyle(true)
                .build();
    }

    /** A client of moto's SES (v1), e.g. to verify a sender. Close it. */
    public static SesClient ses(MotoServer moto) {
        return SesClient.builder().endpointOverride(URI.create(moto.endpoint())).region(Region.of(MotoServer.REGION))
                .credentialsProvider(credentials()).httpClient(UrlConnectionHttpClient.create()).build();
    }

    /** A client of moto's IAM. Close it. */
    public static IamClient iam(MotoServer moto) {
        return IamClient.builder().endpointOverride(URI.create(moto.endpoint())).region(Region.AWS_GLOBAL)
                .credentialsProvider(credentials()).httpClient(UrlConnectionHttpClient.create()).build();
    }

    /** A client of moto's STS. Close it. */
    public static StsClient sts(MotoServer moto) {
        return StsClient.builder().endpointOverride(URI.create(moto.endpoint())).region(Region.of(MotoServer.REGION))
                .credentialsProvider(credentials()).httpClient(UrlConnectionHttpClient.create()).build();
    }

    /** Makes {@code address} a verified SES identity in moto (which verifies at once). */
    public static void verifyEmail(MotoServer moto, String address) {
        try (SesClient ses = ses(moto)) {
            ses.verifyEmailIdentity(r -> r.emailAddress(address));
        }
    }

    /** A mail moto's SES accepted, as {@code /moto-api/data.json} shows it. */
    public record SentMail(String source, List<String> to, String subject, String body) {
    }

    /** Every mail moto's SES accepted so far. */
    public static List<SentMail> sentMail(MotoServer moto) {
        Config data = ConfigFactory.parseString(moto.data(), ConfigParseOptions.defaults()
                .setSyntax(ConfigSyntax.JSON));
        if (!data.hasPath("ses.Message")) {
            return List.of();
        }
        List<SentMail> mails = new ArrayList<>();
        for (Config m : data.getConfigList("ses.Message")) {
            mails.add(new SentMail(m.getString("source"), m.getStringList("destinations.ToAddresses"),
                    m.getString("subject"), m.getString("body")));
        }
        return mails;
    }

    /** The keys of moto's S3 bucket below {@code prefix}, sorted. */
    public static List<String> keys(S3Client s3, String bucket, String prefix) {
        return s3.listObjectsV2Paginator(r -> r.bucket(bucket).prefix(prefix)).contents().stream()
                .map(o -> o.key()).sorted().toList();
    }

    public static StaticCredentialsProvider credentials() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(MotoServer.ACCESS_KEY,
                MotoServer.SECRET_KEY));
    }
}
