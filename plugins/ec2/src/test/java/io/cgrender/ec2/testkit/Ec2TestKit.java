package io.cgrender.ec2.testkit;

import io.cgrender.testkit.MotoServer;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;

import java.net.URI;
import java.nio.file.Path;
import java.util.LinkedHashMap;
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
                + "  }\n"
                + "}\n";
    }

    /** A client of moto's EC2, for looking at what cgrender did. Close it. */
    public static Ec2Client client(MotoServer moto) {
        return Ec2Client.builder()
                .endpointOverride(URI.create(moto.endpoint()))
                .region(Region.of(MotoServer.REGION))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(MotoServer.ACCESS_KEY,
                        MotoServer.SECRET_KEY)))
                .httpClient(UrlConnectionHttpClient.create())
                .build();
    }
}
