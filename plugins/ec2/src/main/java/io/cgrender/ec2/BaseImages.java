package io.cgrender.ec2;

import io.cgrender.core.UsageException;
import io.cgrender.core.box.MachineSpec;
import io.cgrender.core.ui.Console;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Image;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which AMI a new box starts from, first match wins:
 * <ol>
 *   <li>the role's image, {@code cgrender.roles."ROLE".image} ({@code create --ami}, or saved defaults);</li>
 *   <li>{@code cgrender.ec2.image};</li>
 *   <li>the SSM public parameter of the role's OS ({@code cgrender.ec2.image-parameters}), e.g. Canonical's
 *       current Ubuntu 24.04 LTS;</li>
 *   <li>the newest image of the OS's publisher ({@code image-owners}, {@code image-names}); for Ubuntu LTS the
 *       highest LTS release, then its newest build.</li>
 * </ol>
 * An image named explicitly must exist; nothing found at all is refused naming what was tried.
 */
final class BaseImages {

    /** An AMI and how it was chosen (for messages). */
    record BaseImage(Image image, String source) {
        String id() {
            return image.imageId();
        }
    }

    private static final Pattern UBUNTU_RELEASE = Pattern.compile("-(\\d\\d)\\.(\\d\\d)-");

    private final AwsClients aws;
    private final Ec2Settings settings;
    private final Console console;

    BaseImages(AwsClients aws, Ec2Settings settings, Console console) {
        this.aws = aws;
        this.settings = settings;
        this.console = console;
    }

    BaseImage resolve(String role, MachineSpec.Os os) {
        Optional<String> roleImage = settings.roleDefault(role, "image");
        if (roleImage.isPresent()) {
            return new BaseImage(require(roleImage.get(), "cgrender.roles.\"" + role + "\".image (--ami)"),
                    "the role's image");
        }
        if (settings.image().isPresent()) {
            return new BaseImage(require(settings.image().get(), "cgrender.ec2.image"), "cgrender.ec2.image");
        }
        String parameter = settings.imageParameters().get(os);
        if (parameter != null && !parameter.isBlank()) {
            Optional<String> id = parameter(parameter);
            if (id.isPresent()) {
                Optional<Image> image = describe(id.get());
                if (image.isPresent()) {
                    return new BaseImage(image.get(), "SSM parameter " + parameter);
                }
                console.verbose("SSM parameter " + parameter + " names " + id.get() + ", which " + aws.where()
                        + " does not have; looking for the newest image of the publisher instead");
            }
        }
        String owner = settings.imageOwners().get(os);
        String names = settings.imageNames().get(os);
        if (owner != null && names != null) {
            List<Image> candidates = aws.call("looking up the newest " + os + " image", () -> aws.ec2()
                    .describeImagesPaginator(r -> r.owners(owner).filters(
                            Filter.builder().name("name").values(names).build(),
                            Filter.builder().name("state").values("available").build(),
                            Filter.builder().name("architecture").values("x86_64").build()))
                    .images().stream().toList());
            Optional<Image> newest = candidates.stream()
                    .filter(i -> os != MachineSpec.Os.UBUNTU_LTS || ubuntuLts(i.name()))
                    .max(Comparator.comparing((Image i) -> release(i.name()))
                            .thenComparing(i -> i.creationDate() == null ? "" : i.creationDate())
                            .thenComparing(i -> i.name() == null ? "" : i.name()));
            if (newest.isPresent()) {
                return new BaseImage(newest.get(), "newest image of owner " + owner + " named " + names);
            }
        }
        throw new UsageException("no " + os + " image found in " + aws.where() + ": "
                + (parameter == null ? "" : "the SSM parameter " + parameter + " does not exist there and ")
                + "owner " + owner + " has no image named " + names + "; name one with --ami AMI-ID (or"
                + " cgrender.ec2.image)");
    }

    /** The image {@code id}, which must exist: it was named by the user. */
    Image require(String id, String from) {
        return describe(id).orElseThrow(() -> new UsageException("AMI " + id + " (from " + from + ") not found in "
                + aws.where() + "; check the id and the region").see("aws ec2 describe-images --image-ids " + id
                + " --region " + aws.region().id()));
    }

    Optional<Image> describe(String id) {
        if (!id.matches("ami-[0-9a-f]{8,17}")) {
            return Optional.empty();
        }
        try {
            return aws.ec2().describeImages(r -> r.imageIds(id)).images().stream().findFirst();
        } catch (SdkException e) {
            if (AwsErrors.is(e, "InvalidAMIID.NotFound", "InvalidAMIID.Malformed", "InvalidAMIID.Unavailable")) {
                return Optional.empty();
            }
            throw aws.explain("looking up AMI " + id, e);
        }
    }

    private Optional<String> parameter(String name) {
        try {
            String value = aws.ssm().getParameter(r -> r.name(name)).parameter().value();
            return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.strip());
        } catch (SdkException e) {
            if (AwsErrors.is(e, "ParameterNotFound")) {
                console.verbose("SSM parameter " + name + " does not exist in " + aws.where()
                        + "; looking for the newest image of the publisher instead");
                return Optional.empty();
            }
            if (AwsErrors.is(e, "AccessDeniedException")) {
                console.warn("not allowed to read SSM parameter " + name + " (ssm:GetParameter); looking for the"
                        + " newest image of the publisher instead");
                return Optional.empty();
            }
            throw aws.explain("reading SSM parameter " + name, e);
        }
    }

    /** Ubuntu's LTS releases are the April releases of even years: 20.04, 22.04, 24.04. */
    private static boolean ubuntuLts(String name) {
        Matcher m = UBUNTU_RELEASE.matcher(name == null ? "" : name);
        return m.find() && m.group(2).equals("04") && Integer.parseInt(m.group(1)) % 2 == 0;
    }

    /** "24.04" of an image name, for ordering releases; "" when the name has none. */
    private static String release(String name) {
        Matcher m = UBUNTU_RELEASE.matcher(name == null ? "" : name);
        return m.find() ? m.group(1) + "." + m.group(2) : "";
    }
}
