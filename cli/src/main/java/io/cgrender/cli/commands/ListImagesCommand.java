package io.cgrender.cli.commands;

import io.cgrender.cli.AbstractCommand;
import io.cgrender.core.Json;
import io.cgrender.cli.Session;
import io.cgrender.cli.Table;
import io.cgrender.core.cloud.Image;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

@Command(name = "list-images",
        footer = {"", "Examples:", "  cgrender list-images", "  cgrender list-images openscad-ubuntu-box"},
        description = "List the images of the namespace, newest generation first.")
public final class ListImagesCommand extends AbstractCommand {

    @Parameters(paramLabel = "ROLE", arity = "0..1", description = "Only images of this role.")
    String role;

    @Override
    protected int execute(Session session) {
        List<Image> images = session.images().list(session.namespace(), role);
        if (session.options().json()) {
            session.console().out().println(Json.write(images.stream().map(i -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", i.id());
                m.put("role", i.role());
                m.put("generation", i.generation());
                m.put("created_at", i.createdAt().toString());
                m.put("tags", new TreeMap<>(i.tags()));
                return (Object) m;
            }).toList()));
            return 0;
        }
        Table table = new Table("ID", "ROLE", "GENERATION", "CREATED");
        images.forEach(i -> table.row(i.id(), i.role(), Integer.toString(i.generation()), i.createdAt().toString()));
        table.print(session.console().out());
        if (table.isEmpty()) {
            session.console().status("no images" + (role == null ? "" : " of " + role) + " in " + session.namespace());
        }
        return 0;
    }
}
