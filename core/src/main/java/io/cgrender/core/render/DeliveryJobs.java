package io.cgrender.core.render;

import io.cgrender.core.delivery.DeliveryJob;
import io.cgrender.core.job.JobRecord;
import io.cgrender.core.job.RemoteJobs;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.scad.ScadFile;
import io.cgrender.core.sync.FileHashes;
import io.cgrender.core.ui.ShownPath;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a render job's box delivers, described for {@link io.cgrender.core.delivery.ResultDelivery}: each output under
 * its local file name ({@code cube.stl}, {@code bracket-small.png}), the cache entries to file, the working
 * directories to remove (the job's outputs and its copy of the inputs), and the static part of the job's manifest
 * (inputs with their hashes, parameters, OpenSCAD version, targets).
 */
final class DeliveryJobs {

    private DeliveryJobs() {
    }

    /** Gives each output a result name: its local file name, made unique with the target's index if need be. */
    static List<JobRecord.Output> named(List<JobRecord.Output> outputs) {
        Set<String> taken = new HashSet<>(Set.of(LOG, MANIFEST));
        List<JobRecord.Output> named = new ArrayList<>();
        for (JobRecord.Output o : outputs) {
            String name = safe(o.local().getFileName().toString());
            if (!taken.add(name)) {
                String remoteBase = o.remote().substring(o.remote().lastIndexOf('/') + 1);
                name = remoteBase.substring(0, remoteBase.indexOf('.')) + "-" + name;
                taken.add(name);
            }
            named.add(new JobRecord.Output(o.remote(), o.local(), o.exitFile(), o.cacheKey(), o.cacheName(), name));
        }
        return named;
    }

    /** The name of the job's log among its results. */
    static final String LOG = "render.log";
    /** The name of the job's manifest among its results. */
    static final String MANIFEST = "manifest.json";

    static DeliveryJob of(RenderPlan work, String jobId, String jobDir, String title, String command,
                          List<JobRecord.Output> outputs, FileHashes hashes, Namespace namespace, String role,
                          String boxId, String openscadVersion, Path cwd) {
        List<DeliveryJob.File> files = new ArrayList<>();
        Map<String, Map<String, String>> cacheNames = new LinkedHashMap<>();
        Map<String, String> cacheExit = new LinkedHashMap<>();
        for (JobRecord.Output o : outputs) {
            files.add(new DeliveryJob.File(o.resultName(), o.remote(), o.exitFile()));
            o.cacheKey().ifPresent(k -> {
                cacheNames.computeIfAbsent(k, x -> new LinkedHashMap<>()).put(o.cacheName(), o.resultName());
                cacheExit.put(k, o.exitFile());
            });
        }
        List<DeliveryJob.CacheEntry> cache = new ArrayList<>();
        cacheNames.forEach((k, names) -> cache.add(new DeliveryJob.CacheEntry(k, names, cacheExit.get(k))));
        // The job's outputs and its own copy of the inputs; the models' upload caches stay for the next render.
        List<String> working = List.of(jobDir + "/out", jobDir + "/in");
        return new DeliveryJob(jobId, jobDir, name(work), title, command, files, cache, working,
                manifest(work, jobId, title, outputs, hashes, namespace, role, boxId, openscadVersion, cwd));
    }

    /** One path component naming what the job renders: the models' names, joined by {@code +}. */
    static String name(RenderPlan work) {
        Set<String> stems = new LinkedHashSet<>();
        for (RenderPlan.ModelInputs m : work.models()) {
            String file = m.model().getFileName().toString();
            stems.add(safe(file.substring(0, file.length() - ".scad".length())));
        }
        String name = String.join("+", stems);
        return name.length() <= 80 ? name : name.substring(0, 71) + "-" + FileHashes.sha256Hex(name).substring(0, 8);
    }

    private static Map<String, Object> manifest(RenderPlan work, String jobId, String title,
                                                 List<JobRecord.Output> outputs, FileHashes hashes,
                                                 Namespace namespace, String role, String boxId,
                                                 String openscadVersion, Path cwd) {
        RenderRequest request = work.request();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cgrender_manifest", 1);
        m.put("job", jobId);
        m.put("kind", "render");
        m.put("title", title);
        m.put("namespace", namespace.toString());
        m.put("role", role);
        m.put("box", boxId);
        m.put("openscad_version", openscadVersion);
        m.put("format", request.format().extension());
        m.put("preview", request.preview());
        m.put("defines", request.defines());
        request.parameters().ifPresent(p -> {
            Map<String, Object> params = new LinkedHashMap<>();
            params.put("file", ShownPath.of(p.file(), cwd));
            params.put("sha256", hashes.of(p.file()).sha256());
            params.put("sets", request.sets());
            m.put("parameters", params);
        });
        List<Object> inputs = new ArrayList<>();
        Set<Path> seen = new HashSet<>();
        for (RenderPlan.ModelInputs model : work.models()) {
            for (ScadFile f : model.dependencies().files()) {
                if (seen.add(f.path())) {
                    FileHashes.Hash hash = hashes.of(f.path());
                    Map<String, Object> input = new LinkedHashMap<>();
                    input.put("path", f.displayPath());
                    input.put("kind", f.kind().keyword());
                    input.put("sha256", hash.sha256());
                    input.put("size", hash.size());
                    inputs.add(input);
                }
            }
        }
        m.put("inputs", inputs);
        List<Object> targets = new ArrayList<>();
        for (RenderPlan.Target t : work.targets()) {
            Map<String, Object> target = new LinkedHashMap<>();
            target.put("model", t.inputs().displayName());
            t.set().ifPresent(s -> target.put("set", s));
            List<Object> names = new ArrayList<>();
            String cacheKey = null;
            for (JobRecord.Output o : outputs) {
                if (o.exitFile().endsWith("/" + t.remoteName() + ".exit")) {
                    names.add(o.resultName());
                    cacheKey = o.cacheKey().orElse(cacheKey);
                }
            }
            target.put("outputs", names);
            target.put("cache_key", cacheKey);
            targets.add(target);
        }
        m.put("targets", targets);
        return m;
    }

    /** A file name as it may appear in a storage key: letters, digits, {@code . _ - +}; anything else is {@code _}. */
    static String safe(String name) {
        String s = name.replaceAll("[^A-Za-z0-9._+-]", "_");
        return s.isEmpty() || s.startsWith(".") ? "_" + s : s;
    }

    /** The job's log on the box. */
    static String log(String jobId) {
        return RemoteJobs.jobDir(jobId) + "/log";
    }
}
