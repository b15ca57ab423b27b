package io.cgrender.cli.commands;

import io.cgrender.cli.AbstractCommand;
import io.cgrender.core.Json;
import io.cgrender.cli.Session;
import io.cgrender.cli.Table;
import io.cgrender.core.CgrenderException;
import io.cgrender.core.CleanupIncompleteException;
import io.cgrender.core.cloud.Garbage;
import io.cgrender.core.cloud.GarbageCollection;
import io.cgrender.core.job.JobRecord;
import io.cgrender.core.ui.Durations;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

@Command(name = "gc",
        footer = {"", "Examples:", "  cgrender gc", "  cgrender gc --yes"},
        description = {
        "List what the namespace left behind: boxes past their max lifetime, images of unknown roles, and "
                + "cloud resources no box uses.",
        "With --yes, remove them."})
public final class GcCommand extends AbstractCommand {

    @Option(names = "--yes", description = "Remove what was found.")
    boolean yes;

    /**
     * Records of jobs of the namespace that ended longer than {@code cgrender.jobs.keep} ago: listed, and with
     * {@code --yes} forgotten. They are this client's own bookkeeping; nothing on a box or in the cloud goes.
     */
    private void oldJobRecords(Session session) {
        Duration keep = session.settings().duration("cgrender.jobs.keep");
        Instant before = Instant.now().minus(keep);
        List<JobRecord> old = session.jobRecords().all().stream()
                .filter(j -> j.namespace().equals(session.namespace().toString()))
                .filter(j -> j.stage().ended() && j.createdAt().isBefore(before)).toList();
        if (old.isEmpty()) {
            return;
        }
        if (yes) {
            old.forEach(j -> session.jobRecords().forget(j.id()));
            session.console().status("forgot " + old.size() + " record(s) of ended jobs started over "
                    + Durations.human(keep) + " ago (cgrender.jobs.keep)");
        } else {
            session.console().status(old.size() + " record(s) of ended jobs started over " + Durations.human(keep)
                    + " ago (cgrender.jobs.keep); forget them with: cgrender gc --yes");
        }
    }

    @Override
    protected int execute(Session session) {
        GarbageCollection gc = session.cloud().garbage().orElseThrow(() -> new CgrenderException("the "
                + session.cloud().name() + " cloud cannot look for leftovers"));
        List<Garbage> found = gc.find(session.namespace(), session.roles().all().keySet(), Instant.now());
        if (session.options().json()) {
            session.console().out().println(Json.write(found.stream().map(g -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("kind", g.kind());
                m.put("id", g.id());
                m.put("reason", g.reason());
                return (Object) m;
            }).toList()));
        } else {
            Table table = new Table("KIND", "ID", "WHY");
            found.forEach(g -> table.row(g.kind(), g.id(), g.reason()));
            table.print(session.console().out(), session.invocation().terminal());
        }
        oldJobRecords(session);
        if (found.isEmpty()) {
            session.console().status("nothing left behind in " + session.namespace());
            return 0;
        }
        if (!yes) {
            session.console().status(found.size() + " item(s) left behind in " + session.namespace()
                    + "; remove them with: cgrender gc --yes");
            return 0;
        }
        List<String> failed = new ArrayList<>();
        CgrenderException first = null;
        for (Garbage g : found) {
            try {
                gc.remove(g);
                session.knownHosts().remove(g.id()); // a removed box's pin; nothing for other kinds
                session.console().status("removed " + g.kind() + " " + g.id());
            } catch (RuntimeException e) {
                failed.add(g.kind() + " " + g.id() + " (" + e.getMessage() + ")");
                if (first == null) {
                    first = e instanceof CgrenderException c ? c : new CgrenderException(e.getMessage(), e);
                }
            }
        }
        if (!failed.isEmpty()) {
            throw new CleanupIncompleteException("could not remove " + failed.size() + " of " + found.size()
                    + " item(s)", first, failed);
        }
        return 0;
    }
}
