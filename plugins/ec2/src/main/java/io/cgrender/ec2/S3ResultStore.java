package io.cgrender.ec2;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import io.cgrender.core.Json;
import io.cgrender.core.render.ResultStore;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The render cache in S3, below a namespace's location: {@code <namespace>/cache/<key>.json} holds an entry, which
 * names the objects of its files, e.g. {@code {"job":"j-…","files":{"output":"alice/cube/j-…/cube.stl"}}}. The box
 * that rendered a result writes its entry once the files are stored, so an entry points at the job's own copies and
 * nothing is stored twice; an entry whose objects are gone is a miss. Keys are the local cache's.
 */
final class S3ResultStore implements ResultStore {

    private final S3Objects objects;
    private final S3Location namespace;

    /** @param namespace the namespace's location: results location plus the namespace's path */
    S3ResultStore(S3Objects objects, S3Location namespace) {
        this.objects = objects;
        this.namespace = namespace;
    }

    /** The key of the entry of {@code cacheKey}. */
    static String entryKey(S3Location namespace, String cacheKey) {
        return namespace.key("cache/" + cacheKey + ".json");
    }

    /** An entry's content: the job and the object key of each file name. */
    static String entry(String jobId, Map<String, String> keys) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("job", jobId);
        entry.put("files", keys);
        return Json.write(entry) + "\n";
    }

    @Override
    public boolean fetch(String key, Map<String, Path> destinations) {
        Optional<String> text = objects.text(namespace.bucket(), entryKey(namespace, key));
        if (text.isEmpty()) {
            return false;
        }
        ConfigObject files;
        try {
            files = ConfigFactory.parseString(text.get(), ConfigParseOptions.defaults().setSyntax(ConfigSyntax.JSON))
                    .root().toConfig().getObject("files");
        } catch (RuntimeException e) {
            return false; // not an entry cgrender wrote: treat as a miss, the render writes a good one
        }
        Map<String, String> keys = new LinkedHashMap<>();
        for (String name : destinations.keySet()) {
            if (!files.containsKey(name)) {
                return false;
            }
            keys.put(name, files.get(name).unwrapped().toString());
        }
        for (Map.Entry<String, Path> d : destinations.entrySet()) {
            if (!objects.download(namespace.bucket(), keys.get(d.getKey()), d.getValue(), Optional.empty())) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void put(String key, Map<String, Path> files) {
        Map<String, String> keys = new LinkedHashMap<>();
        for (Map.Entry<String, Path> f : files.entrySet()) {
            String objectKey = namespace.key("cache/" + key + "/" + f.getKey());
            objects.put(namespace.bucket(), objectKey, f.getValue());
            keys.put(f.getKey(), objectKey);
        }
        objects.put(namespace.bucket(), entryKey(namespace, key), entry("", keys));
    }

    @Override
    public String location() {
        return namespace.resolve("cache").toString();
    }
}
