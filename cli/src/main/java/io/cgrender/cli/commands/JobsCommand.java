package io.cgrender.cli.commands;

import io.cgrender.cli.AbstractCommand;
import io.cgrender.core.Json;
import io.cgrender.cli.Session;
import io.cgrender.cli.Table;
import io.cgrender.core.job.JobRecord;
import io.cgrender.core.job.JobStatus;
import io.cgrender.core.price.Price;
import io.cgrender.core.ui.Durations;
import picocli.CommandLine.Command;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

@Command(name = "jobs",
        footer = {"", "Examples:", "  cgrender jobs", "  cgrender jobs --json"},
        description = {"List the jobs started from here in this namespace, newest first.",
                "COST is the hourly price of the job's box times how long the job ran (so far, while it runs):"
                        + " its share of the box's time, not the whole box's bill (see: cgrender list)."})
public final class JobsCommand extends AbstractCommand {

    @Override
    protected int execute(Session session) {
        String namespace = session.namespace().toString();
        List<JobRecord> jobs = session.jobRecords().all().stream()
                .filter(j -> j.namespace().equals(namespace))
                .map(j -> j.stage() == JobStatus.Stage.RUNNING ? new JobRefresher(session).refresh(j) : j)
                .toList();
        Instant now = Instant.now();
        if (session.options().json()) {
            session.console().out().println(Json.write(jobs.stream().map(j -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", j.id());
                m.put("kind", j.kind());
                m.put("box", j.boxId());
                m.put("role", j.role());
                m.put("title", j.title());
                m.put("stage", j.stage().word());
                m.put("created_at", j.createdAt().toString());
                m.put("duration_seconds", j.ran().map(Duration::toSeconds).orElse(null));
                m.put("hourly_price", j.price().flatMap(Price::usdPerHour).orElse(null));
                m.put("cost", j.cost(now).orElse(null));
                m.put("results", j.location().orElse(null));
                m.put("outputs", j.runOutputs().map(o -> {
                    Map<String, Object> outputs = new LinkedHashMap<>();
                    outputs.put("globs", o.globs().globs());
                    outputs.put("dir", o.dir().toString());
                    return (Object) outputs;
                }).orElse(null));
                return (Object) m;
            }).toList()));
            return 0;
        }
        Table table = new Table("ID", "KIND", "BOX", "WHAT", "STAGE", "AGE", "TOOK", "COST");
        jobs.forEach(j -> table.row(j.id(), j.kind(), j.boxId(), j.title() + j.runOutputs().map(o -> " (outputs: "
                + o.globs() + ")").orElse(""), j.stage().word(),
                Durations.human(Duration.between(j.createdAt(), now)),
                j.ran().map(Durations::human).orElse("-"),
                j.cost(now).map(Price::usd).orElse("-")));
        table.print(session.console().out(), session.invocation().terminal());
        if (table.isEmpty()) {
            session.console().status("no jobs started from here in " + namespace);
        }
        return 0;
    }
}
