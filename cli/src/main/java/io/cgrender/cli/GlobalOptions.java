package io.cgrender.cli;

import java.nio.file.Path;

/** The options every command takes; {@code null} means "not given". */
public record GlobalOptions(String namespace, String cloud, Path configFile, boolean verbose, boolean json) {
}
