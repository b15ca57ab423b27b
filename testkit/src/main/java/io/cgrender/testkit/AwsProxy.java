package io.cgrender.testkit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An AWS endpoint on loopback in front of moto that behaves as AWS does where moto does not: it passes every request
 * on over real HTTP and answers some of them as AWS would under eventual consistency, throttling, short capacity or
 * slow IAM, so the SDK's own retries, waiters and error handling meet those answers for real.
 * <p>
 * The faults, each off until a test turns it on ({@link AwsFaults}):
 * <ul>
 *   <li>a new instance or image is unknown for a while after RunInstances or CreateImage returned its id: calls that
 *       name it answer {@code InvalidInstanceID.NotFound} / {@code InvalidAMIID.NotFound} (and do nothing), listings
 *       leave it out;</li>
 *   <li>throttling: every n-th call of a service, or the next n calls of an action, answered with the service's
 *       throttling error ({@code RequestLimitExceeded}, {@code Throttling}, {@code SlowDown},
 *       {@code ThrottlingException});</li>
 *   <li>capacity: RunInstances of chosen instance types in chosen availability zones answered
 *       {@code InsufficientInstanceCapacity};</li>
 *   <li>slow IAM: an instance profile made through the proxy is refused by EC2 for a while
 *       ({@code InvalidParameterValue}, as AWS says of a profile it does not know yet), and temporary credentials of a
 *       role (STS AssumeRole, as an instance's metadata service hands out) are refused by every service for a
 *       while ({@code InvalidAccessKeyId} / {@code InvalidClientTokenId});</li>
 *   <li>console output that is empty for a while after an instance was launched or started.</li>
 * </ul>
 * Every call is recorded ({@link #calls()}) with what the proxy did to it. {@link #oneRequestAtATime(String)} makes a
 * proxy that also passes one request at a time: moto checks for a duplicate before it stores a new resource without a
 * lock, so two concurrent ImportKeyPair calls can both succeed where AWS takes exactly one; through it each call is
 * atomic, as on AWS, while concurrent clients' calls still interleave.
 */
public final class AwsProxy implements AutoCloseable {

    private static final Set<String> NOT_FORWARDED = Set.of("connection", "content-length", "date", "expect", "from",
            "host", "upgrade", "via", "warning", "transfer-encoding", "keep-alive");
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final Pattern CREDENTIAL = Pattern.compile("Credential=([^/,\\s]+)/[^/]+/[^/]+/([^/]+)/");
    private static final Pattern INSTANCE_ID = Pattern.compile("<instanceId>(i-[0-9a-f]+)</instanceId>");
    private static final Pattern IMAGE_ID = Pattern.compile("<imageId>(ami-[0-9a-f]+)</imageId>");
    private static final Pattern ACCESS_KEY_ID = Pattern.compile("<AccessKeyId>([^<]+)</AccessKeyId>");
    private static final Pattern JSON_STRING_MEMBER = Pattern.compile("\"(\\w+)\"\\s*:\\s*\"([^\"\\\\]*)\"");
    private static final Pattern ZONE = Pattern.compile("<availabilityZone>([^<]+)</availabilityZone>");

    private static final Map<String, AwsProxy> RUNNING = new java.util.concurrent.ConcurrentHashMap<>();

    private final HttpServer server;
    private final ExecutorService executor;
    private final URI target;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final AwsFaults faults = new AwsFaults();
    private final List<Call> calls = new ArrayList<>();

    private AwsProxy(String target, boolean oneAtATime) {
        this.target = URI.create(target);
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 100);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start a proxy on loopback", e);
        }
        server.createContext("/", this::handle);
        // one dispatcher thread handles every exchange (one at a time), or a pool does
        executor = oneAtATime ? null : Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "aws-proxy");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.start();
        RUNNING.put(endpoint(), this);
    }

    /**
     * The endpoint behind {@code endpoint} if that is a running proxy's, else {@code endpoint}: for test harnesses
     * that play AWS's own part (an instance's power, its metadata) and must not meet the faults.
     */
    public static String behind(String endpoint) {
        AwsProxy proxy = RUNNING.get(endpoint.replaceAll("/+$", ""));
        return proxy == null ? endpoint : proxy.target.toString();
    }

    /** A proxy to {@code endpoint} (e.g. moto's), started, passing concurrent requests on concurrently. */
    public static AwsProxy to(String endpoint) {
        return new AwsProxy(endpoint, false);
    }

    /** A proxy to {@code endpoint} that passes one request at a time, making each of moto's calls atomic. */
    public static AwsProxy oneRequestAtATime(String endpoint) {
        return new AwsProxy(endpoint, true);
    }

    /** {@code http://127.0.0.1:PORT}, to use instead of the target's endpoint. */
    public String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** The faults to turn on (or off with {@link AwsFaults#clear()}). */
    public AwsFaults faults() {
        return faults;
    }

    /**
     * The header a test harness's own calls carry (any value), so that what cgrender itself asked for can be told from
     * what the harness asked while playing AWS's part or looking on: see {@link Call#byHarness()}.
     */
    public static final String HARNESS_HEADER = "x-cgrender-test-harness";

    /**
     * One call that reached the proxy: the service and action, the HTTP status it got, the fault, if any, the
     * request's headers (names in lower case; without its signature and session token), its method and path, its
     * parameters (query string and form body; an S3 subresource such as {@code ?tagging} with an empty value), the
     * access key id that signed it (from its Authorization header or, presigned, its {@code X-Amz-Credential}) and,
     * for a request in AWS's JSON protocol (SSM, SQS), its body, whose nested members (tags, attributes) the
     * parameters hold only near enough.
     */
    public record Call(Instant at, String service, String action, int status, String fault,
                       Map<String, List<String>> headers, String method, String path, Map<String, String> params,
                       String accessKey, String json) {

        public boolean faulted() {
            return !fault.isEmpty();
        }

        /** Whether a test harness made the call ({@link #HARNESS_HEADER}), not the code under test. */
        public boolean byHarness() {
            return headers.containsKey(HARNESS_HEADER);
        }
    }

    /** Every call so far, oldest first. */
    public synchronized List<Call> calls() {
        return List.copyOf(calls);
    }

    /** The calls of {@code action} (e.g. {@code TerminateInstances}) so far. */
    public List<Call> calls(String action) {
        return calls().stream().filter(c -> c.action().equals(action)).toList();
    }

    /** Forgets the calls recorded so far. */
    public synchronized void forgetCalls() {
        calls.clear();
    }

    @Override
    public void close() {
        RUNNING.remove(endpoint());
        server.stop(0);
        if (executor != null) {
            executor.shutdownNow();
        }
    }

    @Override
    public String toString() {
        return "AWS proxy on " + endpoint() + " to " + target;
    }

    // ---------------------------------------------------------------- one exchange

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange; InputStream in = exchange.getRequestBody()) {
            AwsRequest request = AwsRequest.of(exchange, in.readAllBytes());
            String path = exchange.getRequestURI().getPath();
            Map<String, List<String>> headers = new java.util.TreeMap<>();
            exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), List.copyOf(v)));
            headers.keySet().removeAll(Set.of("authorization", "x-amz-security-token")); // never in test output
            Optional<AwsFaults.Answer> fault = faults.before(request, this::zoneOf);
            if (fault.isPresent()) {
                record(request, headers, path, fault.get().status(), fault.get().code());
                reply(exchange, request, fault.get());
                return;
            }
            HttpResponse<byte[]> response = forward(exchange, request);
            byte[] body = faults.after(request, response.statusCode(), response.body());
            record(request, headers, path, response.statusCode(), "");
            response.headers().map().forEach((name, values) -> {
                if (!NOT_FORWARDED.contains(name.toLowerCase(Locale.ROOT)) && !name.startsWith(":")) {
                    exchange.getResponseHeaders().put(name, values);
                }
            });
            if (request.method().equals("HEAD")) {
                // a HEAD answer's length is the object's, which the server would otherwise drop with the body
                response.headers().firstValue("Content-Length")
                        .ifPresent(length -> exchange.getResponseHeaders().set("Content-Length", length));
            }
            boolean noBody = request.method().equals("HEAD") || body.length == 0;
            exchange.sendResponseHeaders(response.statusCode(), noBody ? -1 : body.length);
            if (!noBody) {
                exchange.getResponseBody().write(body);
            }
        }
    }

    private HttpResponse<byte[]> forward(HttpExchange exchange, AwsRequest request) throws IOException {
        HttpRequest.Builder builder = HttpRequest.newBuilder(target.resolve(exchange.getRequestURI().toString()))
                .timeout(TIMEOUT)
                .method(request.method(), request.body().length == 0 ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(request.body()));
        for (Map.Entry<String, List<String>> h : exchange.getRequestHeaders().entrySet()) {
            if (!NOT_FORWARDED.contains(h.getKey().toLowerCase(Locale.ROOT))) {
                h.getValue().forEach(v -> builder.header(h.getKey(), v));
            }
        }
        try {
            return http.send(builder.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while forwarding " + request, e);
        }
    }

    private static void reply(HttpExchange exchange, AwsRequest request, AwsFaults.Answer answer)
            throws IOException {
        String requestId = java.util.UUID.randomUUID().toString();
        String body;
        String type;
        AwsRequest.Protocol protocol = answer.body() != null ? AwsRequest.Protocol.MADE_UP : request.protocol();
        switch (protocol) {
            case MADE_UP -> {
                body = answer.body();
                type = "text/xml";
            }
            case EC2 -> {
                body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>" + answer.code()
                        + "</Code><Message>" + xml(answer.message()) + "</Message></Error></Errors><RequestID>"
                        + requestId + "</RequestID></Response>";
                type = "text/xml";
            }
            case REST_XML -> {
                body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + answer.code() + "</Code><Message>"
                        + xml(answer.message()) + "</Message><RequestId>" + requestId + "</RequestId></Error>";
                type = "application/xml";
            }
            case JSON -> {
                body = "{\"__type\":\"" + answer.code() + "\",\"message\":\"" + answer.message().replace("\"", "'")
                        + "\"}";
                type = "application/x-amz-json-1.1";
                exchange.getResponseHeaders().add("x-amzn-ErrorType", answer.code());
            }
            default -> {
                body = "<ErrorResponse><Error><Type>" + (answer.status() >= 500 ? "Receiver" : "Sender")
                        + "</Type><Code>" + answer.code() + "</Code><Message>" + xml(answer.message())
                        + "</Message></Error><RequestId>" + requestId + "</RequestId></ErrorResponse>";
                type = "text/xml";
            }
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", type);
        exchange.getResponseHeaders().add("x-amzn-RequestId", requestId);
        if (request.method().equals("HEAD")) {
            exchange.sendResponseHeaders(answer.status(), -1);
            return;
        }
        exchange.sendResponseHeaders(answer.status(), bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    private synchronized void record(AwsRequest request, Map<String, List<String>> headers, String path, int status,
                                     String fault) {
        Map<String, String> params = new LinkedHashMap<>(request.params());
        params.keySet().removeAll(Set.of("X-Amz-Signature", "X-Amz-Security-Token")); // never in test output
        boolean json = headers.getOrDefault("content-type", List.of()).stream()
                .anyMatch(t -> t.startsWith("application/x-amz-json"));
        calls.add(new Call(Instant.now(), request.service(), request.action(), status, fault, Map.copyOf(headers),
                request.method(), path, java.util.Collections.unmodifiableMap(params), request.accessKey(),
                json && request.body() != null ? new String(request.body(), StandardCharsets.UTF_8) : ""));
    }

    /** The availability zone of a subnet, as moto knows it; empty if it does not. */
    private Optional<String> zoneOf(String subnetId) {
        String form = subnetId.isEmpty() ? "Action=DescribeSubnets&Version=2016-11-15&Filter.1.Name=default-for-az"
                + "&Filter.1.Value.1=true" : "Action=DescribeSubnets&Version=2016-11-15&SubnetId.1=" + subnetId;
        HttpRequest request = HttpRequest.newBuilder(target.resolve("/")).timeout(TIMEOUT)
                .header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
                .header("Authorization", "AWS4-HMAC-SHA256 Credential=" + MotoServer.ACCESS_KEY + "/20260101/"
                        + MotoServer.REGION + "/ec2/aws4_request, SignedHeaders=host, Signature=0")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build();
        try {
            String answer = http.send(request, HttpResponse.BodyHandlers.ofString()).body();
            Matcher m = ZONE.matcher(answer);
            List<String> zones = new ArrayList<>();
            while (m.find()) {
                zones.add(m.group(1));
            }
            return zones.stream().sorted().findFirst();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private static String xml(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    // ---------------------------------------------------------------- what a request is

    /** A request as the faults see it: service, action, parameters, the access key that signed it. */
    record AwsRequest(String method, String service, String action, Map<String, String> params, String accessKey,
                      byte[] body) {

        /**
         * How a service speaks: EC2's own query dialect, the other query services, REST with XML (S3), JSON (SSM);
         * {@code MADE_UP} is an answer of the proxy's own.
         */
        enum Protocol { EC2, QUERY, REST_XML, JSON, MADE_UP }

        Protocol protocol() {
            return switch (service) {
                case "ec2" -> Protocol.EC2;
                case "s3" -> Protocol.REST_XML;
                case "ssm" -> Protocol.JSON;
                default -> Protocol.QUERY;
            };
        }

        /** The values of every parameter whose name matches {@code regex} (e.g. {@code InstanceId\.\d+}). */
        List<String> values(String regex) {
            return params.entrySet().stream().filter(e -> e.getKey().matches(regex)).map(Map.Entry::getValue)
                    .toList();
        }

        String param(String name) {
            return params.getOrDefault(name, "");
        }

        @Override
        public String toString() {
            return service + " " + action;
        }

        static AwsRequest of(HttpExchange exchange, byte[] body) {
            String auth = String.valueOf(exchange.getRequestHeaders().getFirst("Authorization"));
            Map<String, String> params = new LinkedHashMap<>();
            parseForm(exchange.getRequestURI().getRawQuery(), params);
            String contentType = String.valueOf(exchange.getRequestHeaders().getFirst("Content-Type"));
            if (contentType.startsWith("application/x-www-form-urlencoded")) {
                parseForm(new String(body, StandardCharsets.UTF_8), params);
            } else if (contentType.startsWith("application/x-amz-json")) {
                // the JSON protocol's (SSM's) string members, near enough: what names a resource
                Matcher member = JSON_STRING_MEMBER.matcher(new String(body, StandardCharsets.UTF_8));
                while (member.find()) {
                    params.putIfAbsent(member.group(1), member.group(2));
                }
            }
            Matcher m = CREDENTIAL.matcher(auth);
            String accessKey = "";
            String service = "";
            if (m.find()) {
                accessKey = m.group(1);
                service = m.group(2);
            } else if (params.containsKey("X-Amz-Credential")) {
                String[] scope = params.get("X-Amz-Credential").split("/");
                accessKey = scope[0];
                service = scope.length > 3 ? scope[3] : "";
            }
            String method = exchange.getRequestMethod();
            String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
            String action;
            if (params.containsKey("Action")) {
                action = params.get("Action");
            } else if (target != null) {
                action = target.substring(target.indexOf('.') + 1);
            } else {
                action = restAction(method, exchange.getRequestURI().getPath());
            }
            if (service.isEmpty()) {
                service = target != null ? "ssm" : "s3";
            }
            return new AwsRequest(method, service, action, params, accessKey, body);
        }

        /** S3's operation, near enough: the method and whether the path names an object. */
        private static String restAction(String method, String path) {
            boolean object = path.indexOf('/', 1) > 0 && !path.endsWith("/");
            String noun = object ? "Object" : "Bucket";
            return switch (method) {
                case "GET" -> object ? "GetObject" : "ListObjects";
                case "PUT" -> "Put" + noun;
                case "HEAD" -> "Head" + noun;
                case "DELETE" -> "Delete" + noun;
                case "POST" -> "Post" + noun;
                default -> method + noun;
            };
        }

        private static void parseForm(String form, Map<String, String> into) {
            if (form == null || form.isEmpty()) {
                return;
            }
            for (String pair : form.split("&")) {
                int eq = pair.indexOf('=');
                String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                into.put(name, value);
            }
        }
    }

    /** The ids a RunInstances, CreateImage or AssumeRole answer made known. */
    static List<String> instanceIds(String xml) {
        return all(INSTANCE_ID, xml);
    }

    static List<String> imageIds(String xml) {
        return all(IMAGE_ID, xml);
    }

    static List<String> accessKeyIds(String xml) {
        return all(ACCESS_KEY_ID, xml);
    }

    private static List<String> all(Pattern pattern, String text) {
        List<String> found = new ArrayList<>();
        Matcher m = pattern.matcher(text);
        while (m.find()) {
            if (!found.contains(m.group(1))) {
                found.add(m.group(1));
            }
        }
        return found;
    }
}
