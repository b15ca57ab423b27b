package io.cgrender.core.delivery;

import java.util.List;
import java.util.Map;

/**
 * A job made ready for delivery by {@link ResultDelivery#prepare}.
 *
 * @param script the job's script to run on the box: its command, then the delivery
 * @param record what the client keeps in the job's record ({@link io.cgrender.core.job.JobRecord#delivery()}),
 *               at least {@link io.cgrender.core.job.JobRecord#LOCATION}
 * @param notes  what the user should know about this delivery (e.g. a fallback the cloud had to take)
 */
public record PreparedDelivery(String script, Map<String, String> record, List<String> notes) {

    public PreparedDelivery {
        record = Map.copyOf(record);
        notes = List.copyOf(notes);
    }
}
