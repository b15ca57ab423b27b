package io.cgrender.cli.commands;

import io.cgrender.cli.AbstractCommand;
import io.cgrender.cli.Session;
import io.cgrender.cli.Table;
import io.cgrender.core.Json;
import io.cgrender.core.keys.AuthorizedKeys;
import io.cgrender.core.keys.RegisteredKey;
import picocli.CommandLine.Command;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

@Command(name = "list-keys",
        footer = {"", "Examples:", "  cgrender list-keys", "  cgrender --json list-keys"},
        description = {"List the keys registered in the namespace: name, type, fingerprint, when it was added.",
                "--json adds the public key and whether cgrender.keys selects it (authorized)."})
public final class ListKeysCommand extends AbstractCommand {

    @Override
    protected int execute(Session session) {
        List<RegisteredKey> keys = session.keys().list();
        if (session.options().json()) {
            AuthorizedKeys selection = AuthorizedKeys.from(session.settings());
            List<RegisteredKey> selected = selection.select(keys);
            session.console().out().println(Json.write(keys.stream().map(k -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", k.name());
                m.put("type", k.type());
                m.put("fingerprint", k.fingerprint());
                m.put("added_at", k.addedAt().toString());
                m.put("public_key", k.publicKeyLine());
                m.put("authorized", selected.contains(k));
                return (Object) m;
            }).toList()));
            return 0;
        }
        Table table = new Table("NAME", "TYPE", "FINGERPRINT", "ADDED");
        keys.forEach(k -> table.row(k.name(), k.type(), k.fingerprint(), k.addedAt().toString()));
        table.print(session.console().out(), session.invocation().terminal());
        if (table.isEmpty()) {
            session.console().status("no keys registered in " + session.namespace() + ": its boxes authorize only"
                    + " the namespace's own key");
        }
        return 0;
    }
}
