package io.cgrender.core.render;

import java.time.Instant;
import java.util.List;

/**
 * A render job its box stopped because the cloud reclaimed the box (EC2's spot interruption notice): what had
 * finished was delivered, {@code unfinished} was not.
 *
 * @param jobId      the job
 * @param boxId      the reclaimed box
 * @param at         when the cloud reclaims it, as its notice said
 * @param title      what the job rendered, e.g. {@code slow.scad (set big)}
 * @param unfinished the targets that were not delivered (known to the client that started the job; empty otherwise)
 */
public record Interruption(String jobId, String boxId, Instant at, String title, List<RenderPlan.Target> unfinished) {

    public Interruption {
        unfinished = List.copyOf(unfinished);
    }

    /** The same interruption, knowing which targets were not delivered. */
    Interruption withUnfinished(List<RenderPlan.Target> targets) {
        return new Interruption(jobId, boxId, at, title, targets);
    }

    /** One line for the user: what happened, without a prefix. */
    public String message() {
        return "the spot instance " + boxId + " was reclaimed by EC2 at " + at + "; the render of " + title
                + " was interrupted (job " + jobId + ")";
    }

    /** What {@code unfinished} renders, for a status line. */
    String unfinishedTitle() {
        return String.join(", ", unfinished.stream().map(RenderPlan.Target::label).toList());
    }
}
