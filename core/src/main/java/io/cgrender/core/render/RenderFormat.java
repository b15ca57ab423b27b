package io.cgrender.core.render;

import io.cgrender.core.UsageException;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The export formats of OpenSCAD 2021.01 that cgrender offers, by file extension. */
public enum RenderFormat {
    STL, THREE_MF("3mf"), OFF, AMF, DXF, SVG, PNG, CSG;

    private final String extension;

    RenderFormat() {
        this.extension = name().toLowerCase(Locale.ROOT);
    }

    RenderFormat(String extension) {
        this.extension = extension;
    }

    public String extension() {
        return extension;
    }

    /** PNG export draws with OpenGL and needs a display: on a box it runs under {@code xvfb-run}. */
    public boolean needsDisplay() {
        return this == PNG;
    }

    public static RenderFormat parse(String text) {
        String wanted = text.toLowerCase(Locale.ROOT).replaceFirst("^\\.", "");
        for (RenderFormat f : values()) {
            if (f.extension.equals(wanted)) {
                return f;
            }
        }
        throw new UsageException("unknown format '" + text + "'; use one of: " + Arrays.stream(values())
                .map(RenderFormat::extension).collect(Collectors.joining(", ")));
    }
}
