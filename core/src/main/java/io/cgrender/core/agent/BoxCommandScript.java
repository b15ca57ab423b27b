package io.cgrender.core.agent;

import io.cgrender.core.job.JobProcess;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The {@code cgrender-box} command every box carries: {@code status}, {@code extend DURATION}, {@code keep} and
 * {@code release} of the box it runs on, handed to the box's agent. One bash script for every cloud; each cloud adds
 * its part, two functions: {@code backend_read} (the box's state as its agent keeps it) and {@code backend_obey LINE}
 * (one {@link AgentCommand} line to the agent, returning once it is applied).
 */
public final class BoxCommandScript {

    /** The command's name on a box's PATH. */
    public static final String NAME = "cgrender-box";
    private static final String TEMPLATE = read("cgrender-box.sh");

    private BoxCommandScript() {
    }

    /** The script with {@code backend}, the cloud's part, filled in. */
    public static String with(String backend) {
        return TEMPLATE.replace("@JOB_ALIVE_FUNCTION@", JobProcess.SHELL_FUNCTION)
                .replace("@BACKEND@", backend.stripTrailing());
    }

    private static String read(String name) {
        try (InputStream in = BoxCommandScript.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
