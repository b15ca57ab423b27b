package io.cgrender.core.scad;

import io.cgrender.core.UsageException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Finds every file an OpenSCAD model needs, without running OpenSCAD, resolving each reference the way OpenSCAD
 * 2021.01 does (checked against {@code openscad -d deps.mk}):
 * <ul>
 *   <li>{@code include <f>} and {@code use <f>}: relative to the directory of the file the statement is in, then
 *       in each library directory in order (see {@link ScadLibraryPath}); absolute names as they are. An included
 *       file that is already being included (a cycle) is skipped, as OpenSCAD does. Included and used files are
 *       scanned in turn; a used file is scanned once.</li>
 *   <li>{@code use <f>} that fails from an included file's directory is retried from the directory of the file
 *       the include chain started in (the root model or a used file), a second lookup OpenSCAD does when it loads
 *       used files (and one it leaves out of {@code -d} output).</li>
 *   <li>{@code import("f")} and {@code surface("f")}: relative to the directory of the <em>file module</em> they
 *       belong to, that is the root model or the used file whose include chain brought the call in. A call in an
 *       included file therefore resolves from the includer's directory, a call in a used library file from that
 *       library file's directory. If the file is not there, the model's directory is tried (OpenSCAD's deprecated
 *       fallback).</li>
 *   <li>Comments and strings are skipped exactly as OpenSCAD's lexer does (see {@link ScadLexer}).</li>
 * </ul>
 * Unlike OpenSCAD, a missing file is an error ({@link MissingScadDependencyException}, all missing files collected
 * first); an {@code import()}/{@code surface()} whose file is not a string literal is a {@link ScadWarning}.
 * Every {@code import()} in a scanned file counts, also in modules that the model never calls: the scanner sees the
 * source, not the evaluation.
 * <p>
 * Each file is read once, however often it is reached; a file is rescanned only when it is included into a different
 * file module (its imports then resolve differently). One scanner can scan many models; it keeps no state between
 * scans.
 */
public final class ScadDependencyScanner {

    private final List<Path> libraryDirs;
    private final List<Path> libraryLayout;
    private final Path currentDir;

    /** A scanner searching {@code libraryDirs} in order, showing paths relative to the process's directory. */
    public ScadDependencyScanner(List<Path> libraryDirs) {
        this(libraryDirs, Path.of("").toAbsolutePath());
    }

    /**
     * A scanner searching {@code libraryDirs} in order (relative ones taken from {@code currentDir}), resolving a
     * relative model path and showing paths relative to {@code currentDir}.
     */
    public ScadDependencyScanner(List<Path> libraryDirs, Path currentDir) {
        this.currentDir = currentDir.toAbsolutePath().normalize();
        List<Path> dirs = new ArrayList<>();
        List<Path> layout = new ArrayList<>();
        for (Path dir : libraryDirs) {
            Path absolute = this.currentDir.resolve(dir);
            dirs.add(absolute);
            layout.add(absolute.normalize());
        }
        this.libraryDirs = List.copyOf(dirs);
        this.libraryLayout = List.copyOf(layout);
    }

    /** The library directories searched, absolute, in order. */
    public List<Path> libraryDirs() {
        return libraryDirs;
    }

    /**
     * Scans {@code model} and everything it reaches.
     *
     * @throws MissingScadDependencyException if a referenced file does not exist
     * @throws UsageException                 if the model is not a readable file
     */
    public ScadDependencies scan(Path model) {
        return new Scan(model).run();
    }

    /** Shows a file: below its library directory if it is a library file, else relative to the current directory. */
    private String displayFile(Path layout, Path modelDir) {
        if (!layout.startsWith(modelDir)) {
            for (Path lib : libraryLayout) {
                if (layout.startsWith(lib) && !layout.equals(lib)) {
                    return UploadLayout.slashes(lib.relativize(layout));
                }
            }
        }
        return fromCurrentDir(layout);
    }

    private String displayDir(Path dir) {
        String shown = fromCurrentDir(dir.normalize());
        return shown.endsWith("/") ? shown : shown + "/";
    }

    /** Relative to the current directory, or absolute when the two share nothing but {@code /}. */
    private String fromCurrentDir(Path path) {
        if (path.startsWith(currentDir)) {
            String relative = UploadLayout.slashes(currentDir.relativize(path));
            return relative.isEmpty() ? "." : relative;
        }
        if (UploadLayout.commonAncestor(currentDir, path).getNameCount() == 0) {
            return path.toString();
        }
        return UploadLayout.slashes(currentDir.relativize(path));
    }

    /** The file module (root model or used file) whose directory import()/surface() resolve from. */
    private record Module(Path clientDir, Path layoutDir) {
    }

    private record Visit(Path layout, Path moduleDir) {
    }

    /** A file reached: where OpenSCAD here reads it, what it really is, and where it sits in the layout. */
    private static final class Node {
        final Path client;
        final Path real;
        final Path layout;
        final ScadFile.Kind kind;
        final SourceLocation declaredAt;
        final boolean absolute;

        Node(Path client, Path real, Path layout, ScadFile.Kind kind, SourceLocation declaredAt, boolean absolute) {
            this.client = client;
            this.real = real;
            this.layout = layout;
            this.kind = kind;
            this.declaredAt = declaredAt;
            this.absolute = absolute;
        }
    }

    /** A successful lookup. */
    private record Found(Path client, Path real, Path layout, boolean absolute) {
    }

    /** One scan: all mutable state lives here. */
    private final class Scan {
        private final Path modelArgument;
        private final Map<Path, List<ScadReference>> lexed = new HashMap<>();
        private final Map<Path, Node> nodes = new LinkedHashMap<>();
        private final Set<Visit> visited = new HashSet<>();
        private final Set<Path> usedModules = new HashSet<>();
        private final ArrayDeque<Node> moduleQueue = new ArrayDeque<>();
        private final List<Path> includeStack = new ArrayList<>();
        private final Map<String, ScadWarning> warnings = new LinkedHashMap<>();
        private final Map<String, MissingScadDependencyException.Missing> missing = new LinkedHashMap<>();
        private final Set<UploadLayout.Climb> climbs = new LinkedHashSet<>();
        private final Set<Path> requiredDirs = new LinkedHashSet<>();
        private final boolean[] libraryHit = new boolean[libraryDirs.size()];
        private Module rootModule;
        /** Set by {@link #findValidPath} when the only candidate was a file already being included. */
        private boolean cycle;

        Scan(Path model) {
            this.modelArgument = model;
        }

        ScadDependencies run() {
            Path client = currentDir.resolve(modelArgument);
            if (!Files.isRegularFile(client)) {
                throw new UsageException(modelArgument + ": " + (Files.isDirectory(client)
                        ? "is a directory, not an OpenSCAD file" : "no such file"));
            }
            Path layout = client.normalize();
            Node model = new Node(client, realPath(client), layout, ScadFile.Kind.MODEL, null, false);
            nodes.put(layout, model);
            rootModule = new Module(client.getParent(), layout.getParent());
            scanModule(model, rootModule);
            while (!moduleQueue.isEmpty()) {
                Node used = moduleQueue.removeFirst();
                scanModule(used, new Module(used.client.getParent(), used.layout.getParent()));
            }
            if (!missing.isEmpty()) {
                throw new MissingScadDependencyException(new ArrayList<>(missing.values()));
            }
            return layout();
        }

        private void scanModule(Node file, Module module) {
            includeStack.add(file.real);
            visited.add(new Visit(file.layout, module.layoutDir));
            scanFile(file, module);
            includeStack.remove(includeStack.size() - 1);
        }

        private void scanFile(Node file, Module module) {
            List<ScadReference> refs = references(file);
            String shown = refs.isEmpty() ? null : displayFile(file.layout, rootModule.layoutDir);
            for (ScadReference ref : refs) {
                SourceLocation at = new SourceLocation(shown, file.real, ref.line());
                switch (ref.kind()) {
                    case INCLUDE -> include(file, module, ref, at);
                    case USE -> use(file, module, ref, at);
                    case IMPORT, SURFACE -> importFile(module, ref, at);
                    default -> throw new IllegalStateException(ref.kind().toString());
                }
            }
        }

        private void include(Node file, Module module, ScadReference ref, SourceLocation at) {
            if (!ref.isLiteral()) {
                warn(at, ref.statement() + " is not closed with '>'; OpenSCAD ignores it");
                return;
            }
            Found found = findValidPath(file.client.getParent(), file.layout.getParent(), ref.target(), true);
            if (found == null) {
                if (cycle) {
                    warn(at, ref.statement() + " would include a file into itself; OpenSCAD skips it");
                } else {
                    missing(at, ref, lookedIn(ref.target(), file.client.getParent(), null));
                }
                return;
            }
            Node included = node(found, ScadFile.Kind.INCLUDE, at);
            if (visited.add(new Visit(included.layout, module.layoutDir))) {
                includeStack.add(included.real);
                scanFile(included, module);
                includeStack.remove(includeStack.size() - 1);
            }
        }

        private void use(Node file, Module module, ScadReference ref, SourceLocation at) {
            if (!ref.isLiteral()) {
                warn(at, ref.statement() + " is not closed with '>'; OpenSCAD ignores it");
                return;
            }
            Path fileDir = file.client.getParent();
            Found found = findValidPath(fileDir, file.layout.getParent(), ref.target(), true);
            // OpenSCAD looks again when it loads used files: from the file module's directory, without the
            // open-file check. That finds what the first lookup skipped as a cycle, or what is next to the includer.
            boolean otherModuleDir = !module.clientDir.equals(fileDir);
            if (found == null && (cycle || otherModuleDir)) {
                found = findValidPath(module.clientDir, module.layoutDir, ref.target(), false);
            }
            if (found == null) {
                missing(at, ref, lookedIn(ref.target(), fileDir, otherModuleDir ? module.clientDir : null));
                return;
            }
            Node used = node(found, ScadFile.Kind.USE, at);
            if (usedModules.add(used.layout)) {
                moduleQueue.addLast(used);
            }
        }

        private void importFile(Module module, ScadReference ref, SourceLocation at) {
            if (!ref.isLiteral()) {
                warn(at, ref.statement() + ": the file name is not a string literal, so cgrender cannot tell which"
                        + " file it needs and does not upload it");
                return;
            }
            if (ref.target().isEmpty()) {
                warn(at, ref.statement() + ": empty file name; OpenSCAD imports nothing");
                return;
            }
            Path relative = path(ref.target());
            Found found = null;
            if (relative != null && relative.isAbsolute()) {
                if (Files.isRegularFile(relative)) {
                    found = new Found(relative, realPath(relative), relative.normalize(), true);
                }
            } else if (relative != null) {
                found = lookup(module.clientDir, module.layoutDir, relative);
                if (found == null && !rootModule.clientDir.equals(module.clientDir)) {
                    found = lookup(rootModule.clientDir, rootModule.layoutDir, relative);
                    if (found != null) {
                        warn(at, ref.statement() + " was found next to the model, not next to the file it belongs"
                                + " to; OpenSCAD 2021.01 accepts this but calls it deprecated");
                    }
                }
            }
            if (found == null) {
                List<String> dirs = new ArrayList<>();
                if (relative == null || !relative.isAbsolute()) {
                    dirs.add(displayDir(module.clientDir));
                    if (!rootModule.clientDir.equals(module.clientDir)) {
                        dirs.add(displayDir(rootModule.clientDir));
                    }
                }
                missing(at, ref, dirs);
                return;
            }
            node(found, ref.kind(), at);
        }

        /** OpenSCAD's lookup_file() for one base directory: the file if it is there. */
        private Found lookup(Path clientDir, Path layoutDir, Path relative) {
            Path candidate = clientDir.resolve(relative);
            if (!Files.isRegularFile(candidate)) {
                return null;
            }
            climb(layoutDir, relative);
            return new Found(candidate, realPath(candidate), layoutDir.resolve(relative).normalize(), false);
        }

        /**
         * OpenSCAD's find_valid_path(): relative to {@code clientDir}, then each library directory (stopping at the
         * first that has the file). With {@code checkCycle}, a file already being included does not count, as with
         * OpenSCAD's open-file check.
         */
        private Found findValidPath(Path clientDir, Path layoutDir, String target, boolean checkCycle) {
            cycle = false;
            Path relative = path(target);
            if (relative == null) {
                return null;
            }
            if (relative.isAbsolute()) {
                if (!Files.isRegularFile(relative)) {
                    return null;
                }
                Path real = realPath(relative);
                if (checkCycle && includeStack.contains(real)) {
                    cycle = true;
                    return null;
                }
                return new Found(real, real, relative.normalize(), true);
            }
            Path local = clientDir.resolve(relative);
            if (Files.isRegularFile(local)) {
                Path real = realPath(local);
                if (!(checkCycle && includeStack.contains(real))) {
                    climb(layoutDir, relative);
                    return new Found(real, real, layoutDir.resolve(relative).normalize(), false);
                }
                cycle = true;
            }
            for (int i = 0; i < libraryDirs.size(); i++) {
                Path candidate = libraryDirs.get(i).resolve(relative);
                if (Files.isRegularFile(candidate)) {
                    Path real = realPath(candidate);
                    if (checkCycle && includeStack.contains(real)) {
                        cycle = true;
                        return null;
                    }
                    libraryHit[i] = true;
                    climb(libraryLayout.get(i), relative);
                    return new Found(candidate, real, libraryLayout.get(i).resolve(relative).normalize(), false);
                }
            }
            return null;
        }

        /** Records how far up {@code relative} climbs from {@code base}, and the directories it must pass through. */
        private void climb(Path base, Path relative) {
            if (!relative.toString().contains("..")) {
                return;
            }
            Path current = base;
            Path top = base;
            for (Path name : relative) {
                String part = name.toString();
                if (part.equals("..")) {
                    requiredDirs.add(current);
                    Path parent = current.getParent();
                    current = parent == null ? current : parent;
                    if (current.getNameCount() < top.getNameCount()) {
                        top = current;
                    }
                } else if (!part.equals(".") && !part.isEmpty()) {
                    current = current.resolve(name);
                }
            }
            if (!top.equals(base)) {
                climbs.add(new UploadLayout.Climb(base, top));
            }
        }

        private List<String> lookedIn(String target, Path fileDir, Path moduleDir) {
            List<String> dirs = new ArrayList<>();
            Path asPath = path(target);
            if (asPath != null && asPath.isAbsolute()) {
                return dirs; // OpenSCAD takes an absolute name as it is
            }
            dirs.add(displayDir(fileDir));
            for (Path lib : libraryDirs) {
                dirs.add(displayDir(lib));
            }
            if (moduleDir != null) {
                dirs.add(displayDir(moduleDir));
            }
            return dirs;
        }

        private Node node(Found found, ScadFile.Kind kind, SourceLocation at) {
            Node existing = nodes.get(found.layout());
            if (existing != null) {
                if (!existing.real.equals(found.real())) {
                    warn(at, "two different files, " + existing.real + " and " + found.real() + ", would both be"
                            + " uploaded as " + found.layout() + " (symbolic links); the box gets the first");
                }
                return existing;
            }
            Node node = new Node(found.client(), found.real(), found.layout(), kind, at, found.absolute());
            nodes.put(found.layout(), node);
            return node;
        }

        private List<ScadReference> references(Node file) {
            List<ScadReference> refs = lexed.get(file.real);
            if (refs == null) {
                byte[] bytes;
                try {
                    bytes = Files.readAllBytes(file.real);
                } catch (IOException e) {
                    throw new UsageException("cannot read " + displayFile(file.layout, rootModule.layoutDir) + ": "
                            + e.getMessage(), e);
                }
                refs = ScadLexer.references(bytes);
                lexed.put(file.real, refs);
            }
            return refs;
        }

        private void warn(SourceLocation at, String message) {
            warnings.putIfAbsent(at + ": " + message, new ScadWarning(at, message));
        }

        private void missing(SourceLocation at, ScadReference ref, List<String> lookedIn) {
            missing.putIfAbsent(at + ": " + ref.statement(),
                    new MissingScadDependencyException.Missing(at, ref.statement(), lookedIn));
        }

        private Path path(String target) {
            try {
                return Path.of(target);
            } catch (InvalidPathException e) {
                return null;
            }
        }

        private Path realPath(Path path) {
            try {
                return path.toRealPath();
            } catch (IOException e) {
                throw new UsageException("cannot read " + path + ": " + e.getMessage(), e);
            }
        }

        /** Places every file in the upload layout. */
        private ScadDependencies layout() {
            Path modelLayout = nodes.values().iterator().next().layout;
            List<Path> usedLibraries = new ArrayList<>();
            for (int i = 0; i < libraryHit.length; i++) {
                if (libraryHit[i]) {
                    usedLibraries.add(libraryLayout.get(i));
                }
            }
            UploadLayout layout = new UploadLayout(modelLayout, usedLibraries, nodes.keySet(), climbs, requiredDirs);
            List<ScadFile> files = new ArrayList<>();
            Set<Path> filledDirs = new HashSet<>();
            for (Node node : nodes.values()) {
                files.add(new ScadFile(node.real, node.kind, Optional.ofNullable(node.declaredAt),
                        layout.rootName(node.layout), layout.relative(node.layout),
                        displayFile(node.layout, modelLayout.getParent()), node.absolute));
                Path root = layout.rootOf(node.layout);
                for (Path dir = node.layout.getParent(); dir != null && dir.startsWith(root); dir = dir.getParent()) {
                    if (!filledDirs.add(dir)) {
                        break;
                    }
                }
            }
            List<String> boxLibraryPath = new ArrayList<>();
            for (Path library : usedLibraries) {
                boxLibraryPath.add(layout.boxPath(library));
            }
            List<String> directories = new ArrayList<>();
            for (Path dir : requiredDirs) {
                if (!filledDirs.contains(dir)) {
                    directories.add(layout.boxPath(dir));
                }
            }
            return new ScadDependencies(files, new ArrayList<>(warnings.values()), layout.uploadRoots(),
                    layout.boxPath(modelLayout), boxLibraryPath, directories);
        }
    }
}
