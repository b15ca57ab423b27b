package io.cgrender.core.cloud;

/** How to reach a machine over SSH and how to know it is the right one. */
public record MachineAccess(SshEndpoint endpoint, HostKeySource hostKeys) {
}
