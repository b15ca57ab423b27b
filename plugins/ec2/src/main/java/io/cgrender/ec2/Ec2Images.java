package io.cgrender.ec2;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.UsageException;
import io.cgrender.core.cloud.ImageSupport;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.ui.Progress;
import io.cgrender.core.ui.Wait;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Image;
import software.amazon.awssdk.services.ec2.model.ImageState;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Images of boxes as AMIs of this account, tagged with the namespace, role and generation (their snapshots carry the
 * same tags). Taken without a reboot, so the box and its SSH sessions go on: the disk is crash-consistent, as after
 * a power cut, which journaling file systems recover from. Deleting an image deletes its snapshots too. An image this
 * process has just made may be unknown to EC2 for a while: it is waited for, not taken as gone.
 */
final class Ec2Images implements ImageSupport {

    private final Ec2Cloud cloud;
    /** Images this process made: EC2 may not describe them for a moment after CreateImage. */
    private final Set<String> madeHere = ConcurrentHashMap.newKeySet();

    Ec2Images(Ec2Cloud cloud) {
        this.cloud = cloud;
    }

    private AwsClients aws() {
        return cloud.aws();
    }

    @Override
    public io.cgrender.core.cloud.Image create(Machine machine, Map<String, String> tags, Duration timeout,
                                               Progress progress) {
        String imageId = createImage(machine, tags);
        try {
            String stage = "waiting for image " + imageId + " of " + machine.id() + " to be available";
            Image image = AwsWait.until(stage, timeout, cloud.settings().pollInterval(), progress,
                    () -> describe(imageId).map(i -> switch (i.state()) {
                        case AVAILABLE -> Wait.Poll.ready(i);
                        case FAILED, ERROR, INVALID, DEREGISTERED, DISABLED -> throw new CgrenderException(stage
                                + " failed: it is " + i.stateAsString() + (i.stateReason() == null ? ""
                                : " (" + i.stateReason().message() + ")"));
                        default -> Wait.Poll.<Image>notYet(i.stateAsString());
                    }).orElseGet(() -> Wait.Poll.notYet("EC2 does not show it yet")));
            List<String> snapshots = snapshots(image);
            if (!snapshots.isEmpty()) {
                aws().run("tagging the snapshots of " + imageId, () -> aws().ec2().createTags(r -> r
                        .resources(snapshots).tags(Ec2Cloud.toTags(tags))));
            }
            return toImage(image);
        } catch (RuntimeException e) {
            try {
                delete(imageId);
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /**
     * CreateImage, and no wait: the image is {@link io.cgrender.core.cloud.Image.State#PENDING} until EC2 has its
     * snapshots, which {@link #list} shows. Its snapshots carry no tags of cgrender's (only a waiting
     * {@link #create} tags them); {@link #delete} finds them through the image all the same.
     */
    @Override
    public io.cgrender.core.cloud.Image start(Machine machine, Map<String, String> tags, Duration timeout,
                                              Progress progress) {
        String imageId = createImage(machine, tags);
        return new io.cgrender.core.cloud.Image(imageId, tags.getOrDefault(Tags.ROLE, ""),
                generation(tags), Instant.now(), tags, io.cgrender.core.cloud.Image.State.PENDING);
    }

    private String createImage(Machine machine, Map<String, String> tags) {
        cloud.require(machine.id());
        String name = amiName(tags, machine.id());
        String imageId = aws().call("creating an image of " + machine.id(), () -> aws().ec2().createImage(r -> r
                .instanceId(machine.id())
                .name(name)
                .description("cgrender image of " + machine.id() + " (" + tags.getOrDefault(Tags.ROLE, "?") + ")")
                .noReboot(true)
                .tagSpecifications(TagSpecification.builder().resourceType(ResourceType.IMAGE)
                        .tags(Ec2Cloud.toTags(tags)).build())).imageId());
        madeHere.add(imageId);
        return imageId;
    }

    @Override
    public List<io.cgrender.core.cloud.Image> list(Namespace namespace, String roleOrNull) {
        List<Filter> filters = new ArrayList<>();
        filters.add(Filter.builder().name("tag:" + Tags.NAMESPACE).values(namespace.toString()).build());
        if (roleOrNull != null) {
            filters.add(Filter.builder().name("tag:" + Tags.ROLE).values(roleOrNull).build());
        }
        return aws().call("listing the images of " + namespace, () -> aws().ec2()
                        .describeImagesPaginator(r -> r.owners("self").filters(filters)).images().stream().toList())
                .stream()
                .filter(i -> !"deregistered".equals(i.stateAsString()))
                .map(this::toImage)
                .sorted(Comparator.comparingInt(io.cgrender.core.cloud.Image::generation).reversed()
                        .thenComparing(io.cgrender.core.cloud.Image::createdAt, Comparator.reverseOrder()))
                .toList();
    }

    @Override
    public void delete(String imageId) {
        Optional<Image> image = madeHere.contains(imageId) ? Optional.of(AwsWait.until("waiting for EC2 to show image "
                + imageId + ", made a moment ago, to delete it", cloud.context().settings().timeout("state-change"),
                cloud.settings().pollInterval(), cloud.console().progress(), () -> describe(imageId)
                        .map(Wait.Poll::ready).orElseGet(() -> Wait.Poll.notYet("EC2 does not show it yet"))))
                : describe(imageId);
        if (image.isEmpty()) {
            return;
        }
        List<String> snapshots = snapshots(image.get());
        try {
            aws().ec2().deregisterImage(r -> r.imageId(imageId));
        } catch (SdkException e) {
            if (!AwsErrors.is(e, "InvalidAMIID.NotFound", "InvalidAMIID.Unavailable")) {
                throw aws().explain("deregistering image " + imageId, e);
            }
        }
        madeHere.remove(imageId);
        for (String snapshot : snapshots) {
            try {
                aws().ec2().deleteSnapshot(r -> r.snapshotId(snapshot));
            } catch (SdkException e) {
                if (!AwsErrors.is(e, "InvalidSnapshot.NotFound")) {
                    throw aws().explain("deleting snapshot " + snapshot + " of image " + imageId, e);
                }
            }
        }
    }

    /** A cgrender image of {@code namespace} and {@code role} to launch from; anything else is refused. */
    Image require(String imageId, Namespace namespace, String role) {
        Image image = describe(imageId).orElseThrow(() -> new UsageException("image " + imageId + " not found in "
                + aws().region().id()).see("cgrender list-images " + role));
        String owner = tag(image, Tags.NAMESPACE).orElse("");
        if (!owner.equals(namespace.toString()) || !tag(image, Tags.ROLE).orElse("").equals(role)) {
            throw new UsageException("image " + imageId + " is not an image of " + role + " in namespace " + namespace)
                    .see("cgrender list-images " + role);
        }
        return image;
    }

    Optional<Image> describe(String imageId) {
        if (imageId == null || !imageId.matches("ami-[0-9a-f]{8,17}")) {
            return Optional.empty();
        }
        try {
            return aws().ec2().describeImages(r -> r.imageIds(imageId)).images().stream().findFirst();
        } catch (SdkException e) {
            if (AwsErrors.is(e, "InvalidAMIID.NotFound", "InvalidAMIID.Malformed", "InvalidAMIID.Unavailable")) {
                return Optional.empty();
            }
            throw aws().explain("looking up image " + imageId, e);
        }
    }

    private static List<String> snapshots(Image image) {
        List<String> ids = new ArrayList<>();
        image.blockDeviceMappings().forEach(m -> {
            if (m.ebs() != null && m.ebs().snapshotId() != null) {
                ids.add(m.ebs().snapshotId());
            }
        });
        return ids;
    }

    private io.cgrender.core.cloud.Image toImage(Image image) {
        Map<String, String> tags = new LinkedHashMap<>();
        for (Tag t : image.tags()) {
            tags.put(t.key(), t.value());
        }
        int generation = generation(tags);
        Instant created;
        try {
            created = image.creationDate() == null ? Instant.EPOCH : Instant.parse(image.creationDate());
        } catch (DateTimeParseException e) {
            created = Instant.EPOCH;
        }
        io.cgrender.core.cloud.Image.State state = switch (image.state() == null ? ImageState.UNKNOWN_TO_SDK_VERSION
                : image.state()) {
            case AVAILABLE -> io.cgrender.core.cloud.Image.State.AVAILABLE;
            case PENDING, TRANSIENT -> io.cgrender.core.cloud.Image.State.PENDING;
            default -> io.cgrender.core.cloud.Image.State.FAILED;
        };
        return new io.cgrender.core.cloud.Image(image.imageId(), tags.getOrDefault(Tags.ROLE, ""), generation, created,
                tags, state);
    }

    private static int generation(Map<String, String> tags) {
        try {
            return Integer.parseInt(tags.getOrDefault(Tags.GENERATION, "0"));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static Optional<String> tag(Image image, String key) {
        return image.tags().stream().filter(t -> key.equals(t.key())).map(Tag::value).findFirst();
    }

    /** AMI names are unique per account and region: 3-128 characters of letters, digits and ()[] ./-'@_. */
    private static String amiName(Map<String, String> tags, String instanceId) {
        String name = "cgrender" + tags.getOrDefault(Tags.NAMESPACE, "/").replace('/', '_')
                + tags.getOrDefault(Tags.ROLE, "box") + "-gen" + tags.getOrDefault(Tags.GENERATION, "0") + "-"
                + instanceId + "-" + Instant.now().getEpochSecond();
        name = name.replaceAll("[^A-Za-z0-9()\\[\\] ./'@_-]", "_");
        return name.length() <= 128 ? name : name.substring(name.length() - 128);
    }
}
