package io.cgrender.core.cloud;

/** Where and as whom to open SSH to a machine. */
public record SshEndpoint(String host, int port, String user) {

    public SshEndpoint {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("host is required");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
    }

    /** {@code host:port}, bracketing IPv6 literals. */
    public String address() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
