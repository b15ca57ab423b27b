package io.cgrender.cli.commands;

import io.cgrender.cli.AbstractCommand;
import io.cgrender.core.Json;
import io.cgrender.cli.Session;
import io.cgrender.cli.Table;
import io.cgrender.core.cloud.Image;
import io.cgrender.core.ns.Tags;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

@Command(name = "list-images",
        footer = {"", "Examples:", "  cgrender list-images", "  cgrender list-images openscad-ubuntu-box"},
        description = {"List the images of the namespace, newest generation first, with their state (pending,"
                + " available, failed) and whether their setup is the role's current one (new boxes launch from the"
                + " newest available current one)."})
public final class ListImagesCommand extends AbstractCommand {

    @Parameters(paramLabel = "ROLE", arity = "0..1", description = "Only images of this role.")
    String role;

    @Override
    protected int execute(Session session) {
        List<Image> images = session.images().list(session.namespace(), role);
        Map<String, String> setupHashes = new HashMap<>();
        if (session.options().json()) {
            session.console().out().println(Json.write(images.stream().map(i -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", i.id());
                m.put("role", i.role());
                m.put("generation", i.generation());
                m.put("created_at", i.createdAt().toString());
                m.put("state", i.state().label());
                m.put("setup", setup(session, setupHashes, i));
                m.put("tags", new TreeMap<>(i.tags()));
                return (Object) m;
            }).toList()));
            return 0;
        }
        Table table = new Table("ID", "ROLE", "GENERATION", "STATE", "SETUP", "CREATED");
        images.forEach(i -> table.row(i.id(), i.role(), Integer.toString(i.generation()), i.state().label(),
                setup(session, setupHashes, i), i.createdAt().toString()));
        table.print(session.console().out(), session.invocation().terminal());
        if (table.isEmpty()) {
            session.console().status("no images" + (role == null ? "" : " of " + role) + " in " + session.namespace());
        }
        return 0;
    }

    /**
     * Whether new boxes of the image's role would launch from it: {@code current} if its setup hash is the role's
     * now, else {@code stale (HASH)}; {@code unknown role} if no installed role has its name.
     */
    private static String setup(Session session, Map<String, String> hashes, Image image) {
        String made = image.tags().getOrDefault(Tags.SETUP_HASH, "none");
        String now = hashes.computeIfAbsent(image.role(), r -> session.roles().contains(r)
                ? session.roles().get(r).newBox().setupHash() : "");
        return now.isEmpty() ? "unknown role" : now.equals(made) ? "current" : "stale (" + made + ")";
    }
}
