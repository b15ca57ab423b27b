package io.cgrender.ec2;

import io.cgrender.core.UsageException;
import io.cgrender.core.plugin.Plugins;
import io.cgrender.core.cloud.Cloud;
import io.cgrender.core.cloud.CloudContext;
import io.cgrender.core.cloud.CloudProvider;
import io.cgrender.core.doctor.CheckList;
import io.cgrender.core.doctor.CheckTarget;

import java.util.Optional;
import java.util.TreeSet;

/**
 * Boxes on Amazon EC2 ({@code --cloud ec2}). Opening checks the configuration, the region and the credentials and
 * builds the AWS clients; it calls no AWS API, so it launches nothing and costs nothing.
 */
public final class Ec2CloudProvider implements CloudProvider {

    @Override
    public String name() {
        return Ec2Cloud.NAME;
    }

    @Override
    public String description() {
        return "Amazon EC2 instances (AWS credentials and region from the usual places, --region, --profile)";
    }

    @Override
    public Cloud open(CloudContext context) {
        Ec2Settings settings = Ec2Settings.from(context.settings());
        InstanceAccess access = access(settings, context.plugins());
        AwsClients aws = AwsClients.open(settings, context.env());
        return new Ec2Cloud(context, settings, aws, access);
    }

    /**
     * Credentials and region, the VPC, the base image, a launch (dry run), SSH access, the results bucket, mail and
     * the instance profile ({@link Ec2Checks}).
     */
    @Override
    public CheckList checks(CloudContext context, Optional<CheckTarget> launch) {
        return Ec2Checks.of(context, launch);
    }

    /** The configured way of reaching instances: the default, or one a plugin contributes, by name. */
    static InstanceAccess access(Ec2Settings settings, Plugins plugins) {
        if (settings.access().equals(DefaultInstanceAccess.NAME)) {
            return new DefaultInstanceAccess(settings.address(), settings.sshPort());
        }
        TreeSet<String> known = new TreeSet<>();
        known.add(DefaultInstanceAccess.NAME);
        for (Plugins.Found<InstanceAccess> found : plugins.services(InstanceAccess.class)) {
            InstanceAccess candidate = found.provider();
            if (candidate.name().equals(settings.access())) {
                return candidate;
            }
            known.add(candidate.name());
        }
        throw new UsageException("unknown cgrender.ec2.access '" + settings.access() + "'; known: "
                + String.join(", ", known));
    }
}
