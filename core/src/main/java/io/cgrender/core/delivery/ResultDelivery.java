package io.cgrender.core.delivery;

import io.cgrender.core.cloud.Machine;
import io.cgrender.core.job.After;
import io.cgrender.core.job.JobRecord;
import io.cgrender.core.render.ResultStore;
import io.cgrender.core.ui.Console;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Optional capability of a cloud ({@link io.cgrender.core.cloud.Cloud#delivery()}): its boxes finish a job without
 * the client. When the job's command ends, the box itself stores the outputs, the log and a manifest in the cloud's
 * storage, mails the user, removes its working files and then carries out the job's {@code --after} request; the
 * client, attached or later, downloads the results from the storage, which outlives the box. The render cache lives
 * in the same storage.
 */
public interface ResultDelivery {

    /**
     * Works out, before anything is launched, where a render's results go and checks that they can go there and
     * that its mail can be sent: {@code location} as the user named it (e.g. {@code s3://bucket/prefix}), else the
     * cloud's default, made on first use.
     *
     * @throws io.cgrender.core.UsageException for bad input: a location of another kind or region, one this account
     *                                         may not write, a sender the mail service would refuse
     */
    DeliveryTarget target(Optional<String> location, Optional<EmailAddress> email, After after);

    /** The render cache kept at {@code target}: results by cache key, as the local cloud keeps them in a directory. */
    ResultStore store(DeliveryTarget target);

    /**
     * Makes sure {@code machine} can deliver {@code job} to {@code target} (without long-lived credentials on it) and
     * returns the job's script: its command followed by the delivery.
     */
    PreparedDelivery prepare(DeliveryTarget target, Machine machine, DeliveryJob job);

    /** What the storage holds of a job started with delivery: empty until its box has delivered it. */
    Optional<DeliveredJob> delivered(JobRecord record);

    /** Downloads the delivered file {@code name} to {@code target}, atomically, checking its hash. */
    void download(JobRecord record, DeliveredJob job, String name, Path target);

    /** Downloads the job's delivered log to {@code target}; false when it has none. */
    boolean downloadLog(JobRecord record, Path target);

    /**
     * Called when this client has collected a delivered job: does what the box could not do by itself (mail, where
     * the box had no credentials for it) and returns the record to keep.
     */
    JobRecord collected(JobRecord record, DeliveredJob job, Console console);
}
