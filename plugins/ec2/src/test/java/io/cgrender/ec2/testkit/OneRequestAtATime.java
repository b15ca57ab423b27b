package io.cgrender.ec2.testkit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * An HTTP proxy on loopback that passes one request at a time to moto. moto answers concurrent requests on threads of
 * its own and checks for a duplicate before it stores a new resource without a lock, so two ImportKeyPair or
 * CreateSecurityGroup calls at the same moment can both succeed, where AWS takes exactly one. Through this proxy each
 * call is atomic, as on AWS, while the calls of concurrent clients still interleave as they would there. It also keeps
 * what was asked ({@link #requests()}), for a test to check what every request carried.
 */
public final class OneRequestAtATime implements AutoCloseable {

    private static final Set<String> NOT_FORWARDED = Set.of("connection", "content-length", "date", "expect", "from",
            "host", "upgrade", "via", "warning", "transfer-encoding", "keep-alive");
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    /** A request as it reached the proxy: its method, path and query, and headers (names in lower case). */
    public record Request(String method, String uri, Map<String, List<String>> headers) {
    }

    private final List<Request> requests = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final HttpServer server;
    private final URI target;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private OneRequestAtATime(String target) {
        this.target = URI.create(target);
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start a proxy on loopback", e);
        }
        server.createContext("/", this::forward);
        server.setExecutor(null); // the server's one dispatcher thread handles every exchange: one at a time
        server.start();
    }

    /** A proxy to {@code endpoint} (e.g. moto's), started. */
    public static OneRequestAtATime to(String endpoint) {
        return new OneRequestAtATime(endpoint);
    }

    /** {@code http://127.0.0.1:PORT}, to use instead of the target's endpoint. */
    public String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private void forward(HttpExchange exchange) throws IOException {
        try (exchange; InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readAllBytes();
            String method = exchange.getRequestMethod();
            Map<String, List<String>> headers = new java.util.TreeMap<>();
            exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), List.copyOf(v)));
            requests.add(new Request(method, exchange.getRequestURI().toString(), headers));
            HttpRequest.Builder request = HttpRequest.newBuilder(target.resolve(exchange.getRequestURI().toString()))
                    .timeout(TIMEOUT)
                    .method(method, body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofByteArray(body));
            for (Map.Entry<String, List<String>> h : exchange.getRequestHeaders().entrySet()) {
                if (!NOT_FORWARDED.contains(h.getKey().toLowerCase(Locale.ROOT))) {
                    h.getValue().forEach(v -> request.header(h.getKey(), v));
                }
            }
            HttpResponse<byte[]> response;
            try {
                response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while forwarding " + method + " " + exchange.getRequestURI(), e);
            }
            response.headers().map().forEach((name, values) -> {
                if (!NOT_FORWARDED.contains(name.toLowerCase(Locale.ROOT)) && !name.startsWith(":")) {
                    exchange.getResponseHeaders().put(name, values);
                }
            });
            byte[] answer = response.body();
            boolean noBody = method.equals("HEAD") || answer.length == 0;
            exchange.sendResponseHeaders(response.statusCode(), noBody ? -1 : answer.length);
            if (!noBody) {
                exchange.getResponseBody().write(answer);
            }
        }
    }

    /** Every request forwarded so far, in order. */
    public List<Request> requests() {
        return List.copyOf(requests);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
