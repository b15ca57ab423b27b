package io.cgrender.cli;

import java.nio.file.Path;

/**
 * The options every command takes; {@code null} means "not given". {@code region} and {@code profile} are the AWS
 * ones: they reach the EC2 cloud as the config keys {@code cgrender.aws.region} and {@code cgrender.aws.profile}.
 */
public record GlobalOptions(String namespace, String cloud, Path configFile, boolean verbose, boolean json,
                            String region, String profile) {
}
