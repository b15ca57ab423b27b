package io.cgrender.core.ui;

import java.nio.file.Path;

/** A local path as cgrender shows it to the user: relative to the current directory where it lies below it. */
public final class ShownPath {

    private ShownPath() {
    }

    /** {@code path} relative to {@code cwd} if it lies below it ({@code .} for {@code cwd} itself), else absolute. */
    public static String of(Path path, Path cwd) {
        Path abs = path.toAbsolutePath().normalize();
        Path base = cwd.toAbsolutePath().normalize();
        if (abs.equals(base)) {
            return ".";
        }
        return abs.startsWith(base) ? base.relativize(abs).toString() : abs.toString();
    }
}
