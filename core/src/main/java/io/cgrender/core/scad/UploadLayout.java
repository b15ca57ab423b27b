package io.cgrender.core.scad;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Chooses the upload roots for a scan (see {@link ScadDependencies} for the layout) and places paths in them. All
 * paths here are layout paths: absolute, normalised, as the references spell them (not through symbolic links).
 * <p>
 * The roots start as the model's directory and each library directory a file was found in. Then, until nothing
 * changes: a root inside another is dropped (it lives in the outer one); a root holding the base of a reference
 * that climbs with {@code ../} is widened to the highest directory the climb reaches; and a file or required
 * directory in no root at all (named by an absolute path) widens the project root to take it in.
 */
final class UploadLayout {

    /** A reference whose path climbs with {@code ../} from directory {@code base} up to directory {@code top}. */
    record Climb(Path base, Path top) {
    }

    private final List<Path> roots;
    private final Map<Path, String> names = new LinkedHashMap<>();

    /**
     * @param model          the model's layout path
     * @param usedLibraries  the library directories files were found in, in search order
     * @param files          every file to place
     * @param climbs         every reference that climbs
     * @param requiredDirs   directories that must exist (a climb passes through them)
     */
    UploadLayout(Path model, List<Path> usedLibraries, Collection<Path> files, Collection<Climb> climbs,
                 Collection<Path> requiredDirs) {
        roots = new ArrayList<>();
        roots.add(model.getParent());
        roots.addAll(usedLibraries);
        boolean changed = true;
        while (changed) {
            changed = dropNested();
            for (Climb climb : climbs) {
                changed |= cover(climb.base(), climb.top(), model);
            }
            for (Path file : files) {
                changed |= cover(file.getParent(), file.getParent(), model);
            }
            for (Path dir : requiredDirs) {
                changed |= cover(dir, dir, model);
            }
        }
        Path project = rootOf(model);
        names.put(project, ScadDependencies.PROJECT_ROOT);
        int next = 0;
        for (Path library : usedLibraries) { // library roots are numbered in search order
            Path root = rootOf(library);
            if (!names.containsKey(root)) {
                names.put(root, "lib/" + next++);
            }
        }
    }

    /** The upload roots, project first. */
    List<ScadDependencies.UploadRoot> uploadRoots() {
        List<ScadDependencies.UploadRoot> list = new ArrayList<>();
        names.forEach((dir, name) -> list.add(new ScadDependencies.UploadRoot(name, dir)));
        return list;
    }

    /** The name of the root {@code path} is in. */
    String rootName(Path path) {
        return names.get(rootOf(path));
    }

    /** {@code path} below its root, {@code /}-separated; empty for the root itself. */
    String relative(Path path) {
        return slashes(rootOf(path).relativize(path));
    }

    /** {@code path} on the box, relative to the work directory: {@code root/relative}. */
    String boxPath(Path path) {
        String relative = relative(path);
        return relative.isEmpty() ? rootName(path) : rootName(path) + "/" + relative;
    }

    /** The directory of the root {@code path} is in. */
    Path rootOf(Path path) {
        for (Path root : roots) {
            if (path.startsWith(root)) {
                return root;
            }
        }
        throw new IllegalStateException(path + " is in no upload root " + roots);
    }

    /** Makes the root holding {@code base} also hold {@code top}, an ancestor of {@code base}. */
    private boolean cover(Path base, Path top, Path model) {
        int index = indexOf(base);
        if (index < 0) {
            index = indexOf(model);
            roots.set(index, commonAncestor(roots.get(index), top));
            return true;
        }
        if (!top.startsWith(roots.get(index))) {
            roots.set(index, top);
            return true;
        }
        return false;
    }

    /** Removes roots that lie inside (or equal) another root. */
    private boolean dropNested() {
        boolean changed = false;
        for (int i = 0; i < roots.size(); i++) {
            for (int j = 0; j < roots.size(); j++) {
                if (i != j && roots.get(i).startsWith(roots.get(j))) {
                    roots.remove(i);
                    i = -1;
                    changed = true;
                    break;
                }
            }
        }
        return changed;
    }

    private int indexOf(Path path) {
        for (int i = 0; i < roots.size(); i++) {
            if (path.startsWith(roots.get(i))) {
                return i;
            }
        }
        return -1;
    }

    /** A relative path with {@code /} separators; empty for the empty path. */
    static String slashes(Path relative) {
        if (relative.getNameCount() == 1 && relative.toString().isEmpty()) {
            return "";
        }
        StringBuilder text = new StringBuilder();
        for (Path name : relative) {
            if (text.length() > 0) {
                text.append('/');
            }
            text.append(name);
        }
        return text.toString();
    }

    static Path commonAncestor(Path a, Path b) {
        Path common = a.getRoot();
        int n = Math.min(a.getNameCount(), b.getNameCount());
        for (int i = 0; i < n && a.getName(i).equals(b.getName(i)); i++) {
            common = common.resolve(a.getName(i));
        }
        return common;
    }
}
