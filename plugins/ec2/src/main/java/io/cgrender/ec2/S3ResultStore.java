package io.cgrender.ec2;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import io.cgrender.core.Json;
import io.cgrender.core.render.ResultStore;
import io.cgrender.core.sync.FileHashes;
import io.cgrender.core.ui.Console;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The render cache in S3, below a namespace's part of a location: {@code <namespace>/cache/<key>.json} holds an entry,
 * which names the objects of its files and the SHA-256 each had when it was stored, e.g.
 * {@code {"job":"j-…","files":{"output":"_alice_/cube/j-…/cube.stl"},"sha256":{"output":"9f2c…"}}}. The box that
 * rendered a result writes its entry once the files are stored, so an entry points at the job's own copies and nothing
 * is stored twice. A hit is delivered only when every file is below the namespace's part and has the recorded hash;
 * anything else is a miss (said in a warning when the entry is not what cgrender writes): an entry whose objects are
 * gone, were replaced, or lie elsewhere in the bucket. Keys are the local cache's.
 */
final class S3ResultStore implements ResultStore {

    /** In an entry the box completes: stands for the SHA-256 of the result file named between the markers. */
    static final String HASH_OF = "@sha256:";

    private final S3Objects objects;
    private final S3Location namespace;
    private final Console console;

    /** @param namespace the namespace's part of the results location */
    S3ResultStore(S3Objects objects, S3Location namespace, Console console) {
        this.objects = objects;
        this.namespace = namespace;
        this.console = console;
    }

    /** The key of the entry of {@code cacheKey}. */
    static String entryKey(S3Location namespace, String cacheKey) {
        return namespace.key("cache/" + cacheKey + ".json");
    }

    /** An entry's content: the job, the object key of each file name and each file's SHA-256. */
    static String entry(String jobId, Map<String, String> keys, Map<String, String> sha256) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("job", jobId);
        entry.put("files", keys);
        entry.put("sha256", sha256);
        return Json.write(entry) + "\n";
    }

    /** The placeholder the box replaces with the SHA-256 of the result file {@code resultName} it stored. */
    static String hashOf(String resultName) {
        return HASH_OF + resultName + "@";
    }

    @Override
    public boolean fetch(String key, Map<String, Path> destinations) {
        String entryKey = entryKey(namespace, key);
        Optional<String> text = objects.text(namespace.bucket(), entryKey);
        if (text.isEmpty()) {
            return false;
        }
        String where = "cache entry " + namespace.uriOf(entryKey);
        Config entry;
        try {
            entry = ConfigFactory.parseString(text.get(), ConfigParseOptions.defaults()
                    .setSyntax(ConfigSyntax.JSON));
        } catch (RuntimeException e) {
            return miss(where + " is not valid JSON");
        }
        Map<String, String> keys = new LinkedHashMap<>();
        Map<String, String> hashes = new LinkedHashMap<>();
        for (String name : destinations.keySet()) {
            String files = "files.\"" + name + "\"";
            String hash = "sha256.\"" + name + "\"";
            if (!entry.hasPath(files)) {
                return false; // an entry of the same inputs without this file (say, without a preview)
            }
            if (!entry.hasPath(hash) || !entry.getString(hash).matches("[0-9a-f]{64}")) {
                return miss(where + " records no SHA-256 of its " + name);
            }
            String objectKey = entry.getString(files);
            if (!objectKey.startsWith(namespace.prefix())) {
                return miss(where + " points outside " + namespace + ", at " + namespace.uriOf(objectKey));
            }
            keys.put(name, objectKey);
            hashes.put(name, entry.getString(hash));
        }
        for (Map.Entry<String, Path> d : destinations.entrySet()) {
            try {
                if (!objects.download(namespace.bucket(), keys.get(d.getKey()), d.getValue(),
                        Optional.of(hashes.get(d.getKey())))) {
                    return false;
                }
            } catch (S3Objects.NotAsStored changed) {
                return miss(where + ": " + changed.getMessage());
            }
        }
        return true;
    }

    private boolean miss(String why) {
        console.warn(why + "; not using it, rendering again");
        return false;
    }

    @Override
    public void put(String key, Map<String, Path> files) {
        Map<String, String> keys = new LinkedHashMap<>();
        Map<String, String> hashes = new LinkedHashMap<>();
        for (Map.Entry<String, Path> f : files.entrySet()) {
            String objectKey = namespace.key("cache/" + key + "/" + f.getKey());
            objects.put(namespace.bucket(), objectKey, f.getValue());
            keys.put(f.getKey(), objectKey);
            hashes.put(f.getKey(), new FileHashes().of(f.getValue()).sha256());
        }
        objects.put(namespace.bucket(), entryKey(namespace, key), entry("", keys, hashes));
    }

    @Override
    public String location() {
        return namespace.resolve("cache").toString();
    }
}
