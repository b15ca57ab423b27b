package io.cgrender.ec2;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import io.cgrender.core.CgrenderException;
import io.cgrender.core.UsageException;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.delivery.DeliveredJob;
import io.cgrender.core.delivery.DeliveryJob;
import io.cgrender.core.delivery.DeliveryTarget;
import io.cgrender.core.delivery.EmailAddress;
import io.cgrender.core.delivery.PreparedDelivery;
import io.cgrender.core.delivery.ResultDelivery;
import io.cgrender.core.job.After;
import io.cgrender.core.job.JobRecord;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.price.Price;
import io.cgrender.core.render.ResultStore;
import io.cgrender.core.ui.Console;
import io.cgrender.core.ui.Durations;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceLifecycleType;
import software.amazon.awssdk.services.s3.presigner.model.GetObjectPresignRequest;
import software.amazon.awssdk.services.s3.presigner.model.PutObjectPresignRequest;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Results of EC2 boxes in S3, with mail through SES: the EC2 cloud's {@link ResultDelivery}.
 * <p>
 * Results of a job go to {@code <location><encoded namespace>/<model>/<job id>/} (e.g. {@code _team_ci_/cube/j-…/}):
 * the outputs under their own names, the job's {@code render.log} and a {@code manifest.json}. The render cache is
 * {@code <location><encoded namespace>/cache/} ({@link S3ResultStore}). A namespace's part is one component that no
 * other namespace's part contains, so a box that may store below its own part can never reach another namespace's
 * results or cache, nested ones ({@code /team/} and {@code /team/ci/}) included. The box stores them itself
 * ({@code deliver.sh}, run by the job after its command), in one of two ways, neither of which puts a long-lived
 * secret on the box:
 * <ul>
 *   <li><b>instance profile</b> (the default): the namespace's IAM role ({@link BoxProfile}), which may only put
 *       objects below the namespace's prefix, mail from the configured sender and stop the namespace's boxes. The
 *       box's credentials come from its instance metadata and expire within hours. This is the one way the box can
 *       also mail (the message says how long it took and whether it worked, which no URL signed beforehand can) and
 *       stop itself, with no client attached.</li>
 *   <li><b>presigned URLs</b> (where IAM refuses, or {@code cgrender.ec2.results.box-access = presigned}): one
 *       upload URL per object the job may store, valid for the job's timeout. The box has no credentials at all, so
 *       it leaves the mail to cgrender, which sends it when it collects the job, and {@code --after stop}
 *       terminates the box.</li>
 * </ul>
 * The download links in the mail are presigned here, by the client, for {@code cgrender.results.link-expiry}: with
 * the client's long-lived credentials they last up to 7 days, where links signed on the box would end with the box's
 * credentials after a few hours (and would need read access the box does not have). A link carries the id of the key
 * that signed it, never its secret.
 */
final class Ec2Delivery implements ResultDelivery {

    static final String LOG = "render.log";
    static final String MANIFEST = "manifest.json";
    static final String MAIL = "mail.txt";
    /** {@link JobRecord#delivery()} keys of this cloud. */
    static final String ACCESS = "box-access";
    static final String EMAIL = "email";
    static final String SENDER = "sender";
    static final String MAILED = "mailed";

    private final Ec2Cloud cloud;
    private final AwsClients aws;
    private final ResultSettings settings;
    private final ResultBucket buckets;
    private final S3Objects objects;
    private final BoxProfile profiles;
    private final Mail mail;
    private final Namespace namespace;

    Ec2Delivery(Ec2Cloud cloud, ResultSettings settings) {
        this.cloud = cloud;
        this.aws = cloud.aws();
        this.settings = settings;
        this.buckets = new ResultBucket(aws, cloud.console(), cloud.settings().pollInterval());
        this.objects = new S3Objects(aws, buckets::account);
        this.profiles = new BoxProfile(aws, cloud.console(), cloud.settings().pollInterval());
        this.mail = new Mail(aws);
        this.namespace = cloud.context().namespace();
    }

    // ---------------------------------------------------------------- before anything is launched

    @Override
    public DeliveryTarget target(Optional<String> location, Optional<EmailAddress> email, After after) {
        String from = location.isPresent() ? "-o" : "cgrender.results.location";
        S3Location resolved = buckets.resolve(location.or(settings::location), from, namespace);
        email.ifPresent(to -> mail.sender(to, settings.sender()));
        return new DeliveryTarget(resolved.toString(), email, after);
    }

    @Override
    public ResultStore store(DeliveryTarget target) {
        return new S3ResultStore(objects, namespaceLocation(target.location()), cloud.console());
    }

    // ---------------------------------------------------------------- per job

    @Override
    public PreparedDelivery prepare(DeliveryTarget target, Machine machine, DeliveryJob job) {
        S3Location base = S3Location.parse(target.location(), "the results location");
        S3Location ns = namespaceLocation(target.location());
        S3Location results = ns.resolve(job.name()).resolve(job.jobId());
        Instance instance = cloud.require(machine.id());
        String instanceType = instance.instanceTypeAsString();
        Optional<EmailAddress> sender = target.email().map(to -> settings.sender().orElse(to));
        List<String> notes = new ArrayList<>();
        DeliveryScript.Mode mode = access(instance, base, ns, sender, target, notes);

        Instant now = Instant.now();
        Instant linksExpire = linksExpire(now, notes);
        Duration links = Duration.between(now, linksExpire);
        Duration puts = min(cloud.context().settings().timeout("job").plusHours(1), ResultSettings.MAX_LINK_EXPIRY);
        Price price = cloud.ec2Pricing().of(instance);

        DeliveryScript script = new DeliveryScript(job, instance.instanceLifecycle() == InstanceLifecycleType.SPOT)
                .set("mode", mode.word())
                .set("region", aws.region().id())
                .set("bucket", results.bucket())
                .set("bucket_owner", buckets.account())
                .set("prefix", results.prefix())
                .set("location", results.toString())
                .set("job_id", job.jobId())
                .set("title", job.title())
                .set("box_id", machine.id())
                .set("instance_type", instanceType)
                .set("hourly_price", price.usdPerHour().map(p -> String.format(Locale.ROOT, "%.6f", p)
                        .replaceAll("0+$", "").replaceAll("\\.$", "")).orElse(""))
                .set("price_basis", basis(price))
                .set("email_to", target.email().map(EmailAddress::address).orElse(""))
                .set("email_from", sender.map(EmailAddress::address).orElse(""))
                .set("links_expire", linksExpire.truncatedTo(ChronoUnit.SECONDS) + " ("
                        + Durations.human(links) + " after the job started)");
        for (String special : List.of(LOG, MANIFEST, MAIL)) {
            String var = special.substring(0, special.indexOf('.')).replace("render", "log");
            script.set(var + "_put_url", mode == DeliveryScript.Mode.PRESIGNED ? put(results, special, puts) : "");
            script.set(var + "_link", get(results, special, links));
        }
        for (DeliveryJob.File f : job.files()) {
            script.file(f, new DeliveryScript.Upload(f.name(), mode == DeliveryScript.Mode.PRESIGNED
                    ? put(results, f.name(), puts) : "", get(results, f.name(), links)));
        }
        for (DeliveryJob.CacheEntry entry : job.cache()) {
            String key = S3ResultStore.entryKey(ns, entry.key());
            Map<String, String> keys = new LinkedHashMap<>();
            Map<String, String> hashes = new LinkedHashMap<>();
            entry.names().forEach((cacheName, resultName) -> {
                keys.put(cacheName, results.key(resultName));
                hashes.put(cacheName, S3ResultStore.hashOf(resultName));
            });
            script.cacheEntry(entry, key,
                    mode == DeliveryScript.Mode.PRESIGNED ? presignPut(results.bucket(), key, puts) : "",
                    S3ResultStore.entry(job.jobId(), keys, hashes));
        }
        script.manifest(job.manifest());

        Map<String, String> record = new LinkedHashMap<>();
        record.put(JobRecord.LOCATION, results.toString());
        record.put(ACCESS, mode.word());
        target.email().ifPresent(to -> record.put(EMAIL, to.address()));
        sender.ifPresent(s -> record.put(SENDER, s.address()));
        return new PreparedDelivery(script.script(), record, notes);
    }

    /**
     * How the box will store: through the namespace's instance profile, which it is given now, or with presigned
     * URLs where that is not to be (configured so, IAM refused, or the instance has a profile of its own).
     */
    private DeliveryScript.Mode access(Instance instance, S3Location base, S3Location ns,
                                       Optional<EmailAddress> sender, DeliveryTarget target, List<String> notes) {
        ResultSettings.BoxAccess configured = settings.boxAccess();
        if (configured == ResultSettings.BoxAccess.PRESIGNED) {
            notes.addAll(presignedLimits(target, "cgrender.ec2.results.box-access = presigned"));
            return DeliveryScript.Mode.PRESIGNED;
        }
        String id = instance.instanceId();
        try {
            String partition = aws.partition();
            BoxProfile.Grants grants = new BoxProfile.Grants(
                    List.of("arn:" + partition + ":s3:::" + base.bucket() + "/" + ns.prefix() + "*"),
                    sender.flatMap(s -> target.email().map(to -> new BoxProfile.Mail(s.address(), to.address())))
                            .map(List::of).orElse(List.of()));
            String arn = profiles.ensure(namespace, grants, buckets.account());
            String theirs = profiles.attach(instance, arn);
            if (theirs.equals(arn)) {
                return DeliveryScript.Mode.INSTANCE_PROFILE;
            }
            if (configured == ResultSettings.BoxAccess.INSTANCE_PROFILE) {
                throw new UsageException("box " + id + " has an instance profile of its own (" + theirs + "), which"
                        + " cgrender leaves alone, so its results cannot be stored with an instance profile")
                        .fix("set cgrender.ec2.results.box-access = presigned (or auto) to store them with presigned"
                        + " URLs");
            }
            notes.addAll(presignedLimits(target, "box " + id + " has an instance profile of its own (" + theirs
                    + "), which cgrender leaves alone"));
            return DeliveryScript.Mode.PRESIGNED;
        } catch (SdkException e) {
            boolean refused = AwsErrors.is(e, "AccessDenied", "AccessDeniedException", "UnauthorizedOperation",
                    "UnauthorizedAccess");
            if (configured == ResultSettings.BoxAccess.AUTO && refused) {
                notes.addAll(presignedLimits(target, "AWS refused to give box " + id + " the instance profile "
                        + BoxProfile.name(namespace) + " (" + AwsErrors.summary(e) + "; it takes iam:CreateRole,"
                        + " iam:PutRolePolicy, iam:CreateInstanceProfile, iam:AddRoleToInstanceProfile, iam:PassRole"
                        + " and ec2:AssociateIamInstanceProfile)"));
                return DeliveryScript.Mode.PRESIGNED;
            }
            throw aws.explain("giving box " + id + " the instance profile " + BoxProfile.name(namespace), e);
        }
    }

    /** What a box without credentials cannot do, for the user. */
    private static List<String> presignedLimits(DeliveryTarget target, String why) {
        StringBuilder s = new StringBuilder(why + ": the box stores the results with URLs presigned for this job");
        target.email().ifPresent(to -> s.append("; it cannot mail by itself, so cgrender mails ").append(to)
                .append(" when it collects the job (stay attached, or run cgrender fetch later)"));
        if (target.after() == After.STOP) {
            s.append("; --after stop terminates the box, which cannot stop itself without credentials");
        }
        return List.of(s.toString());
    }

    /** When the mailed links expire: after the configured time, or when the client's credentials do. */
    private Instant linksExpire(Instant now, List<String> notes) {
        Instant wanted = now.plus(settings.linkExpiry());
        Optional<Instant> credentialsEnd = Optional.empty();
        try {
            AwsCredentials credentials = aws.credentials().resolveCredentials();
            if (credentials instanceof AwsSessionCredentials session) {
                credentialsEnd = session.expirationTime();
            }
        } catch (SdkException e) {
            // the presigner will say so
        }
        if (credentialsEnd.isPresent() && credentialsEnd.get().isBefore(wanted)) {
            notes.add("the download links in the mail end with your temporary AWS credentials, at "
                    + credentialsEnd.get().truncatedTo(ChronoUnit.SECONDS));
            return credentialsEnd.get();
        }
        return wanted;
    }

    private String get(S3Location results, String name, Duration validity) {
        return aws.presigner().presignGetObject(GetObjectPresignRequest.builder().signatureDuration(validity)
                .getObjectRequest(r -> r.bucket(results.bucket()).key(results.key(name))).build()).url().toString();
    }

    private String put(S3Location results, String name, Duration validity) {
        return presignPut(results.bucket(), results.key(name), validity);
    }

    private String presignPut(String bucket, String key, Duration validity) {
        return aws.presigner().presignPutObject(PutObjectPresignRequest.builder().signatureDuration(validity)
                .putObjectRequest(r -> r.bucket(bucket).key(key).expectedBucketOwner(buckets.account())).build()).url()
                .toString();
    }

    // ---------------------------------------------------------------- after the job

    @Override
    public Optional<DeliveredJob> delivered(JobRecord record) {
        S3Location results = jobLocation(record);
        Optional<String> text = objects.text(results.bucket(), results.key(MANIFEST));
        if (text.isEmpty()) {
            return Optional.empty();
        }
        Config manifest;
        try {
            manifest = ConfigFactory.parseString(text.get(), ConfigParseOptions.defaults()
                    .setSyntax(ConfigSyntax.JSON));
        } catch (RuntimeException e) {
            throw new CgrenderException(results.uriOf(results.key(MANIFEST)) + " is not valid JSON: "
                    + e.getMessage(), e);
        }
        Map<String, String> files = new LinkedHashMap<>();
        for (Config output : manifest.getConfigList("outputs")) {
            files.put(output.getString("name"), output.getString("sha256"));
        }
        int exit = manifest.getInt("exit_code");
        long seconds = manifest.getLong("duration_seconds");
        String type = manifest.getString("instance_type");
        String cost = manifest.hasPath("estimated_cost.usd") && manifest.hasPath("estimated_cost.hourly_usd")
                ? ", estimated cost " + Price.usd(manifest.getDouble("estimated_cost.usd")) + " (" + type + " at "
                + Price.usd(manifest.getDouble("estimated_cost.hourly_usd")) + "/h)" : "";
        Optional<Instant> interrupted = interruptedAt(manifest);
        String summary = (interrupted.isPresent() ? "interrupted after " : exit == 0 ? "rendered in "
                : "failed (exit " + exit + ") after ") + Durations.human(Duration.ofSeconds(seconds)) + " on "
                + record.boxId() + cost + "; results in " + results;
        return Optional.of(new DeliveredJob(results.toString(), exit, files, summary, interrupted,
                Optional.of(Duration.ofSeconds(seconds))));
    }

    /** What the manifest says of the price the estimate uses: where it comes from, and that it is an estimate. */
    private static String basis(Price price) {
        if (!price.known()) {
            return price.unknownReason();
        }
        return price.source() + price.taken().map(d -> " of " + d).orElse("") + ", " + price.instanceType() + " in "
                + price.region() + " × the job's duration; instance time of the job only";
    }

    /** When EC2 reclaimed the box of an interrupted job, as its manifest says (when the job ended, if not a time). */
    private static Optional<Instant> interruptedAt(Config manifest) {
        if (!manifest.hasPath("interrupted") || !manifest.getBoolean("interrupted")) {
            return Optional.empty();
        }
        try {
            return Optional.of(Instant.parse(manifest.getString("interrupted_at")));
        } catch (RuntimeException e) {
            return Optional.of(Instant.parse(manifest.getString("ended")));
        }
    }

    @Override
    public void download(JobRecord record, DeliveredJob job, String name, Path target) {
        S3Location results = jobLocation(record);
        if (!objects.download(results.bucket(), results.key(name), target, Optional.ofNullable(job.files()
                .get(name)))) {
            throw new CgrenderException("the manifest of job " + record.id() + " lists " + name + ", but "
                    + results.uriOf(results.key(name)) + " does not exist (deleted since?)");
        }
    }

    @Override
    public boolean downloadLog(JobRecord record, Path target) {
        S3Location results = jobLocation(record);
        return objects.download(results.bucket(), results.key(LOG), target, Optional.empty());
    }

    @Override
    public JobRecord collected(JobRecord record, DeliveredJob job, Console console) {
        Map<String, String> d = record.delivery();
        if (!DeliveryScript.Mode.PRESIGNED.word().equals(d.get(ACCESS)) || !d.containsKey(EMAIL)
                || d.containsKey(MAILED)) {
            return record;
        }
        S3Location results = jobLocation(record);
        Optional<String> text = objects.text(results.bucket(), results.key(MAIL));
        if (text.isEmpty()) {
            console.warn("job " + record.id() + " left no mail to send at " + results.uriOf(results.key(MAIL)));
            return record;
        }
        String[] parts = text.get().split("\n", 3);
        String subject = parts[0].startsWith("Subject: ") ? parts[0].substring("Subject: ".length()) : "cgrender";
        String body = parts.length > 2 ? parts[2] : "";
        EmailAddress to = EmailAddress.parse(d.get(EMAIL), "the job's mail address");
        EmailAddress from = EmailAddress.parse(d.getOrDefault(SENDER, d.get(EMAIL)), "the job's sender");
        mail.send(from, to, subject, body);
        console.status("mailed " + to + " for the box, which has no credentials: " + subject);
        return record.withDelivery(MAILED, Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    }

    // ---------------------------------------------------------------- internals

    /** The namespace's part of a results location: {@code <location><encoded namespace>/}. */
    private S3Location namespaceLocation(String location) {
        return S3Location.parse(location, "the results location").of(namespace);
    }

    private static S3Location jobLocation(JobRecord record) {
        return S3Location.parse(record.location().orElseThrow(), "the record of job " + record.id());
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
