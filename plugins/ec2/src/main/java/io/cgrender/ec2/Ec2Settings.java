package io.cgrender.ec2;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.cgrender.core.UsageException;
import io.cgrender.core.box.MachineSpec;
import io.cgrender.core.config.Settings;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The EC2 cloud's configuration ({@code cgrender.aws.*} and {@code cgrender.ec2.*}, see the plugin's
 * {@code reference.conf}), read and checked once when the cloud opens.
 */
record Ec2Settings(Settings settings,
                   Optional<String> region,
                   Optional<String> profile,
                   Optional<URI> endpoint,
                   Duration apiCallTimeout,
                   Duration apiCallAttemptTimeout,
                   Duration connectTimeout,
                   int maxAttempts,
                   String access,
                   DefaultInstanceAccess.Address address,
                   int sshPort,
                   Optional<String> image,
                   Map<MachineSpec.Os, String> imageParameters,
                   Map<MachineSpec.Os, String> imageOwners,
                   Map<MachineSpec.Os, String> imageNames,
                   Optional<String> subnet,
                   List<String> fallbackInstanceTypes,
                   List<String> sshCidrs,
                   Duration sshRuleTtl,
                   URI publicIpUrl,
                   Map<String, List<String>> hostKeys,
                   Duration pollInterval) {

    private static final String AWS = "cgrender.aws.";
    private static final String EC2 = "cgrender.ec2.";

    static Ec2Settings from(Settings settings) {
        Config c = settings.config();
        return new Ec2Settings(settings,
                nonBlank(c.getString(AWS + "region")),
                nonBlank(c.getString(AWS + "profile")),
                nonBlank(c.getString(AWS + "endpoint")).map(e -> endpoint(e, AWS + "endpoint")),
                c.getDuration(AWS + "timeouts.api-call"),
                c.getDuration(AWS + "timeouts.api-call-attempt"),
                c.getDuration(AWS + "timeouts.connect"),
                maxAttempts(c.getInt(AWS + "max-attempts")),
                c.getString(EC2 + "access"),
                DefaultInstanceAccess.Address.parse(c.getString(EC2 + "address")),
                port(c.getInt(EC2 + "ssh-port")),
                nonBlank(c.getString(EC2 + "image")),
                byOs(c, EC2 + "image-parameters"),
                byOs(c, EC2 + "image-owners"),
                byOs(c, EC2 + "image-names"),
                nonBlank(c.getString(EC2 + "subnet")),
                instanceTypes(c.getStringList(EC2 + "fallback-instance-types")),
                List.copyOf(c.getStringList(EC2 + "ssh-cidrs")),
                c.getDuration(EC2 + "ssh-rule-ttl"),
                endpoint(c.getString(EC2 + "public-ip-url"), EC2 + "public-ip-url"),
                hostKeys(c),
                c.getDuration(EC2 + "poll-interval"));
    }

    /** A saved default for new boxes of {@code role} ({@code cgrender.roles."ROLE".NAME}). */
    Optional<String> roleDefault(String role, String name) {
        return settings.roleDefault(role, name).filter(s -> !s.isBlank());
    }

    Ec2Settings withEndpoint(URI uri) {
        return new Ec2Settings(settings, region, profile, Optional.of(uri), apiCallTimeout, apiCallAttemptTimeout,
                connectTimeout, maxAttempts, access, address, sshPort, image, imageParameters, imageOwners, imageNames,
                subnet, fallbackInstanceTypes, sshCidrs, sshRuleTtl, publicIpUrl, hostKeys, pollInterval);
    }

    /** A description of where requests go, for messages: the endpoint override or "AWS". */
    String endpointDescription() {
        return endpoint.map(URI::toString).orElse("AWS");
    }

    private static Optional<String> nonBlank(String s) {
        return s == null || s.isBlank() ? Optional.empty() : Optional.of(s.strip());
    }

    static URI endpoint(String text, String key) {
        try {
            URI uri = new URI(text.strip());
            if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
                    || uri.getHost() == null) {
                throw new URISyntaxException(text, "not an http(s) URL with a host");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new UsageException("bad configuration: " + key + " must be an http(s) URL such as"
                    + " https://ec2.us-east-1.amazonaws.com, not '" + text + "'");
        }
    }

    private static int maxAttempts(int attempts) {
        if (attempts < 1 || attempts > 20) {
            throw new UsageException("bad configuration: cgrender.aws.max-attempts must be 1 to 20 (attempts of one"
                    + " API call, the first included), not " + attempts);
        }
        return attempts;
    }

    private static List<String> instanceTypes(List<String> types) {
        for (String type : types) {
            if (!type.matches("[a-z][a-z0-9-]*\\.[a-z0-9-]+")) {
                throw new UsageException("bad configuration: cgrender.ec2.fallback-instance-types holds '" + type
                        + "', which is not an instance type such as t3.medium");
            }
        }
        return List.copyOf(new java.util.LinkedHashSet<>(types));
    }

    private static int port(int port) {
        if (port < 1 || port > 65535) {
            throw new UsageException("bad configuration: cgrender.ec2.ssh-port must be a TCP port, not " + port);
        }
        return port;
    }

    private static Map<MachineSpec.Os, String> byOs(Config c, String path) {
        Map<MachineSpec.Os, String> values = new LinkedHashMap<>();
        for (Map.Entry<String, ConfigValue> e : c.getConfig(path).entrySet()) {
            MachineSpec.Os os;
            try {
                os = MachineSpec.Os.valueOf(e.getKey().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException unknown) {
                throw new UsageException("bad configuration: " + path + "." + e.getKey() + " names no OS family;"
                        + " known: UBUNTU_LTS, DEBIAN, AMAZON_LINUX");
            }
            values.put(os, e.getValue().unwrapped().toString());
        }
        return Map.copyOf(values);
    }

    private static Map<String, List<String>> hostKeys(Config c) {
        Map<String, List<String>> keys = new LinkedHashMap<>();
        for (Map.Entry<String, ConfigValue> e : c.getObject(EC2 + "host-keys").entrySet()) {
            ConfigValue value = e.getValue();
            List<String> lines = new ArrayList<>();
            if (value.valueType() == ConfigValueType.LIST) {
                for (Object o : (List<?>) value.unwrapped()) {
                    lines.add(o.toString());
                }
            } else if (value.valueType() == ConfigValueType.STRING) {
                lines.add(value.unwrapped().toString());
            } else {
                throw new UsageException("bad configuration: cgrender.ec2.host-keys.\"" + e.getKey() + "\" must be a"
                        + " public key line or SHA256 fingerprint, or a list of them (" + value.origin().description()
                        + ")");
            }
            keys.put(e.getKey(), List.copyOf(lines));
        }
        return Map.copyOf(keys);
    }
}
