package io.cgrender.ec2;

import io.cgrender.core.UsageException;
import io.cgrender.core.cloud.LaunchSpec;
import io.cgrender.core.keys.AuthorizedKeys;
import io.cgrender.core.keys.KeyRegistry;
import io.cgrender.core.keys.RegisteredKey;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.step.Outcome;
import io.cgrender.core.step.Step;
import io.cgrender.core.step.StepRunner;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.model.BlockDeviceMapping;
import software.amazon.awssdk.services.ec2.model.EbsBlockDevice;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.HttpTokensState;
import software.amazon.awssdk.services.ec2.model.Image;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceTypeOffering;
import software.amazon.awssdk.services.ec2.model.InstanceMarketOptionsRequest;
import software.amazon.awssdk.services.ec2.model.InstanceMetadataEndpointState;
import software.amazon.awssdk.services.ec2.model.InstanceMetadataOptionsRequest;
import software.amazon.awssdk.services.ec2.model.InstanceMetadataTagsState;
import software.amazon.awssdk.services.ec2.model.LocationType;
import software.amazon.awssdk.services.ec2.model.MarketType;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.RunInstancesRequest;
import software.amazon.awssdk.services.ec2.model.ShutdownBehavior;
import software.amazon.awssdk.services.ec2.model.InstanceInterruptionBehavior;
import software.amazon.awssdk.services.ec2.model.SpotInstanceType;
import software.amazon.awssdk.services.ec2.model.TagSpecification;
import software.amazon.awssdk.services.ec2.model.VolumeType;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * One {@code launch}: the steps between a {@link LaunchSpec} and an instance id, each with its cleanup (Packer's
 * {@code step_run_source_instance} and friends, typed). Where EC2 has no capacity for the instance, the launch moves on
 * to other zones and instance types ({@link LaunchPlacements}). The instance id is recorded the moment
 * {@code RunInstances} answers; if anything fails, the instance is terminated (waiting until it is, even while EC2 does
 * not know the new id yet). The namespace's key pair and security
 * group stay even when this launch made them: they are the namespace's, not the launch's, and another cgrender may
 * have found them and be launching with them at this moment (on this machine or another). {@code cgrender gc} removes
 * them once no box uses them.
 */
final class Ec2Launch {

    private final Ec2Cloud cloud;
    private final LaunchSpec spec;
    private String instanceType;
    private Image image;
    private String imageSource;
    private NamespaceKeyPair.Ensured keyPair;
    private NamespaceSecurityGroup.Ensured securityGroup;
    private Instance instance;

    Ec2Launch(Ec2Cloud cloud, LaunchSpec spec) {
        this.cloud = cloud;
        this.spec = spec;
    }

    /** Runs the steps; returns the instance as RunInstances described it (pending). */
    Instance run() {
        new StepRunner(cloud.console(), false).execute(runner -> {
            runner.run(this, List.of(new InstanceTypeStep(), new ImageStep(), new KeyPairStep(),
                    new SecurityGroupStep(), new RunInstanceStep(), new AgentChannelStep(cloud.ec2Agents())));
            return null;
        });
        return instance;
    }

    private AwsClients aws() {
        return cloud.aws();
    }

    /** The instance as RunInstances described it; null before it exists. */
    Instance instance() {
        return instance;
    }

    /** The role's instance type (or the one asked for), which the region must offer. */
    private final class InstanceTypeStep implements Step<Ec2Launch> {
        @Override
        public String name() {
            return "instance type";
        }

        @Override
        public void run(Ec2Launch l) {
            String from;
            if (spec.instanceType().isPresent()) {
                instanceType = spec.instanceType().get();
                from = "--instance-type";
            } else if (cloud.settings().roleDefault(spec.role(), "instance-type").isPresent()) {
                instanceType = cloud.settings().roleDefault(spec.role(), "instance-type").get();
                from = "cgrender.roles.\"" + spec.role() + "\".instance-type";
            } else {
                instanceType = spec.machine().recommendedInstanceType().orElseThrow(() -> new UsageException("role "
                        + spec.role() + " recommends no instance type; pass --instance-type"));
                from = "the role's recommendation";
            }
            List<String> fallbacks = cloud.settings().fallbackInstanceTypes();
            Set<String> offered = aws().call("checking instance type " + instanceType, () -> aws().ec2()
                    .describeInstanceTypeOfferingsPaginator(r -> r.locationType(LocationType.REGION).filters(
                            Filter.builder().name("instance-type").values(types(instanceType, fallbacks)).build()))
                    .instanceTypeOfferings().stream().map(InstanceTypeOffering::instanceTypeAsString)
                    .collect(Collectors.toSet()));
            for (String type : types(instanceType, fallbacks)) {
                if (!offered.contains(type)) {
                    throw new UsageException("instance type '" + type + "' (" + (type.equals(instanceType) ? from
                            : "cgrender.ec2.fallback-instance-types") + ") is not offered in " + aws().region().id())
                            .see("aws ec2 describe-instance-type-offerings --region " + aws().region().id());
                }
            }
        }
    }

    /** A cgrender image of the namespace (recreate), or the role's base image. */
    private final class ImageStep implements Step<Ec2Launch> {
        @Override
        public String name() {
            return "image";
        }

        @Override
        public void run(Ec2Launch l) {
            if (spec.image().isPresent()) {
                image = cloud.ec2Images().require(spec.image().get(), spec.namespace(), spec.role());
                imageSource = "image of " + spec.role();
            } else {
                BaseImages.BaseImage base = cloud.baseImages().resolve(spec.role(), spec.machine().os());
                image = base.image();
                imageSource = base.source();
            }
            cloud.console().verbose("launching from " + image.imageId() + " (" + image.name() + ", " + imageSource
                    + ")");
        }
    }

    private final class KeyPairStep implements Step<Ec2Launch> {
        @Override
        public String name() {
            return "key pair";
        }

        @Override
        public void run(Ec2Launch l) {
            String keyFile = cloud.context().dirs().keys().resolve(spec.namespace().encoded()).toString();
            keyPair = cloud.keyPairs().ensure(spec.namespace(), spec.authorizedKey(), keyFile);
            if (keyPair.created()) {
                cloud.console().verbose("imported key pair " + keyPair.name());
            }
        }
    }

    private final class SecurityGroupStep implements Step<Ec2Launch> {
        @Override
        public String name() {
            return "security group";
        }

        @Override
        public void run(Ec2Launch l) {
            securityGroup = cloud.securityGroups().ensure(spec.namespace());
            if (securityGroup.created()) {
                cloud.console().verbose("created security group " + securityGroup.groupId());
            }
        }
    }

    private static List<String> types(String instanceType, List<String> fallbacks) {
        List<String> types = new ArrayList<>(List.of(instanceType));
        fallbacks.stream().filter(t -> !types.contains(t)).forEach(types::add);
        return types;
    }

    private final class RunInstanceStep implements Step<Ec2Launch> {
        @Override
        public String name() {
            return "run instance";
        }

        @Override
        public void run(Ec2Launch l) {
            Instant expiresAt = parse(spec.tags().get(Tags.EXPIRES_AT))
                    .orElse(Instant.now().plus(spec.maxLifetime()));
            RunInstancesRequest.Builder request = request(expiresAt, firstBootKeys(expiresAt).userData());
            LaunchPlacements placements = new LaunchPlacements(aws(), cloud.settings(),
                    () -> cloud.securityGroups().vpcId(), cloud.console());
            instance = placements.launch(instanceType, "a " + spec.role() + " box", placement -> {
                request.instanceType(placement.instanceType()).subnetId(placement.subnet().orElse(null))
                        .tagSpecifications(tags(expiresAt, Instant.now()));
                return runInstance(request, placement.instanceType());
            });
        }

        /**
         * The user data, with the keys the box authorizes from its first boot; warns of selected keys that do not fit
         * in EC2's 16 KB.
         */
        private FirstBootKeys firstBootKeys(Instant expiresAt) {
            List<RegisteredKey> registered = cloud.keys().map(KeyRegistry::list).orElse(List.of());
            FirstBootKeys keys = FirstBootKeys.of(spec, expiresAt,
                    AuthorizedKeys.from(cloud.context().settings()).select(registered));
            if (!keys.leftOut().isEmpty()) {
                cloud.console().warn("EC2 takes at most 16 KB of user data: the box authorizes "
                        + keys.authorized().size() + " of the " + (keys.authorized().size() + keys.leftOut().size())
                        + " registered keys " + AuthorizedKeys.SETTING + " selects from its first boot; left out: "
                        + String.join(", ", keys.leftOut()) + " (they reach the box when its agent syncs the keys)");
            }
            return keys;
        }

        /** RunInstances' request but for the instance type, subnet and tags, which each placement sets. */
        private RunInstancesRequest.Builder request(Instant expiresAt, String userData) {
            RunInstancesRequest.Builder request = RunInstancesRequest.builder()
                    .imageId(image.imageId())
                    .minCount(1)
                    .maxCount(1)
                    .keyName(keyPair.name())
                    .securityGroupIds(securityGroup.groupId())
                    .userData(Base64.getEncoder().encodeToString(userData.getBytes(StandardCharsets.UTF_8)))
                    .instanceInitiatedShutdownBehavior(ShutdownBehavior.TERMINATE)
                    // Tags in the metadata: the watchdog reads the box's stage and its creator's lease there.
                    .metadataOptions(InstanceMetadataOptionsRequest.builder().httpTokens(HttpTokensState.REQUIRED)
                            .httpEndpoint(InstanceMetadataEndpointState.ENABLED)
                            .instanceMetadataTags(InstanceMetadataTagsState.ENABLED).build());
            rootVolume().ifPresent(request::blockDeviceMappings);
            if (spec.spot()) { // the role's default is in it
                request.instanceMarketOptions(InstanceMarketOptionsRequest.builder().marketType(MarketType.SPOT)
                        .spotOptions(o -> o.spotInstanceType(SpotInstanceType.ONE_TIME)
                                .instanceInterruptionBehavior(InstanceInterruptionBehavior.TERMINATE))
                        .build());
            }
            return request;
        }

        /** The tags of the instance and its volumes, with the moment of this attempt as its launch time. */
        private List<TagSpecification> tags(Instant expiresAt, Instant launchedAt) {
            Map<String, String> tags = new LinkedHashMap<>(spec.tags());
            tags.remove(Tags.EXPIRES_AT);
            if (spec.expires()) {
                tags.put(Tags.EXPIRES_AT, expiresAt.toString());
                tags.put(Tags.MAX_LIFETIME, spec.maxLifetime().toString());
            }
            tags.put(Ec2Cloud.LAUNCHED_AT, launchedAt.toString());
            return List.of(TagSpecification.builder().resourceType(ResourceType.INSTANCE).tags(Ec2Cloud.toTags(tags))
                            .build(),
                    TagSpecification.builder().resourceType(ResourceType.VOLUME).tags(Ec2Cloud.toTags(tags)).build());
        }

        /**
         * RunInstances, recording the instance the moment EC2 answers; once more if the key pair or security group it
         * names was removed since this launch found it ({@code cgrender gc} in another process, which saw no box using
         * them): they are made again first.
         */
        private Instance runInstance(RunInstancesRequest.Builder request, String type) {
            String doing = "launching a " + type + " instance of " + spec.role();
            request.clientToken(UUID.randomUUID().toString());
            try {
                return launched(aws().ec2().runInstances(request.build()).instances().get(0));
            } catch (SdkException e) {
                if (!AwsErrors.is(e, "InvalidKeyPair.NotFound", "InvalidGroup.NotFound", "InvalidGroupId.NotFound")) {
                    throw aws().explain(doing, e);
                }
                cloud.console().status("the namespace's key pair or security group was removed meanwhile (by cgrender"
                        + " gc?): making it again");
                new KeyPairStep().run(Ec2Launch.this);
                new SecurityGroupStep().run(Ec2Launch.this);
                request.keyName(keyPair.name()).securityGroupIds(securityGroup.groupId())
                        .clientToken(UUID.randomUUID().toString());
                return launched(aws().call(doing, () -> aws().ec2().runInstances(request.build()).instances()
                        .get(0)));
            }
        }

        private Instance launched(Instance launched) {
            cloud.launched(launched.instanceId());
            instance = launched;
            return launched;
        }

        @Override
        public void cleanup(Ec2Launch l, Outcome outcome) {
            if (outcome.succeeded() || instance == null) {
                return;
            }
            cloud.console().status("terminating EC2 instance " + instance.instanceId() + " ("
                    + outcome.name().toLowerCase() + ")");
            cloud.terminate(instance.instanceId(), cloud.context().settings().timeout("state-change"),
                    cloud.console().progress());
        }

        @Override
        public List<String> leftovers(Ec2Launch l) {
            return instance == null ? List.of() : List.of("EC2 instance " + instance.instanceId());
        }
    }

    /** The root volume: the image's, at least as large as the role asks for, deleted with the instance. */
    private Optional<BlockDeviceMapping> rootVolume() {
        String device = image.rootDeviceName();
        if (device == null) {
            return Optional.empty();
        }
        int imageSize = image.blockDeviceMappings().stream()
                .filter(m -> device.equals(m.deviceName()) && m.ebs() != null && m.ebs().volumeSize() != null)
                .map(m -> m.ebs().volumeSize()).findFirst().orElse(0);
        int size = Math.max(imageSize, spec.machine().diskGib());
        return Optional.of(BlockDeviceMapping.builder().deviceName(device).ebs(EbsBlockDevice.builder()
                .volumeSize(size).volumeType(VolumeType.GP3).deleteOnTermination(true).build()).build());
    }

    private static Optional<Instant> parse(String text) {
        try {
            return text == null ? Optional.empty() : Optional.of(Instant.parse(text));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
