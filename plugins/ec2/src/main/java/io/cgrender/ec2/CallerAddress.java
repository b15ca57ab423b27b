package io.cgrender.ec2;

import io.cgrender.core.CgrenderException;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * This machine's public address as a service such as {@code https://checkip.amazonaws.com} sees it
 * ({@code cgrender.ec2.public-ip-url}), for the namespace security group's SSH rule. Asked once per command.
 */
final class CallerAddress {

    private final URI url;
    private final Duration timeout;
    private String cidr;

    CallerAddress(URI url, Duration timeout) {
        this.url = url;
        this.timeout = timeout;
    }

    /** {@code a.b.c.d/32} (or {@code …/128} for IPv6). */
    synchronized String cidr() {
        if (cidr == null) {
            cidr = detect();
        }
        return cidr;
    }

    private String detect() {
        HttpClient http = HttpClient.newBuilder().connectTimeout(timeout).build();
        String body;
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(url).timeout(timeout).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IOException("it answered HTTP " + response.statusCode());
            }
            body = response.body().strip();
        } catch (IOException e) {
            throw failure(e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CgrenderException("interrupted while asking " + url + " for this machine's address", e);
        }
        if (!body.matches("[0-9a-fA-F:.]{2,45}")) {
            throw failure("it answered '" + (body.length() > 40 ? body.substring(0, 40) + "…" : body)
                    + "', not an address", null);
        }
        try {
            InetAddress address = InetAddress.getByName(body);
            return address.getHostAddress() + (address instanceof java.net.Inet6Address ? "/128" : "/32");
        } catch (IOException e) {
            throw failure("it answered '" + body + "', not an address", e);
        }
    }

    private CgrenderException failure(String why, Throwable cause) {
        return new CgrenderException("cannot find this machine's public address to let it SSH to the boxes: asked "
                + url + " (cgrender.ec2.public-ip-url) and " + why + "; set cgrender.ec2.ssh-cidrs to the addresses"
                + " that may connect, e.g. [\"203.0.113.7/32\"]", cause);
    }
}
