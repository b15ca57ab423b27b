package io.cgrender.core.box;

/**
 * A role whose boxes run Docker Engine that the login user can use without {@code sudo}:
 * {@code cgrender run ROLE --docker IMAGE -- CMD…} runs its command in a container there
 * ({@link io.cgrender.core.docker.DockerRun}). A {@link Box} subclass says so by implementing this interface.
 */
public interface DockerBox {
}
