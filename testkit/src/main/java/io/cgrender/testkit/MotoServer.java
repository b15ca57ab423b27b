package io.cgrender.testkit;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * moto ({@code python3 -m moto.server}), a real HTTP server speaking the AWS APIs (EC2, S3, SES, SSM, STS, …), on a
 * free 127.0.0.1 port. Tests point SDK clients at {@link #endpoint()} with dummy credentials ({@link #ACCESS_KEY},
 * {@link #SECRET_KEY}) and region {@link #REGION}, {@link #reset()} it between tests, and read its whole state with
 * {@link #data()}.
 * <p>
 * The server validates like AWS where moto can: instance types must be offered in the region, images must exist.
 * <p>
 * moto is found as: the Python named by the system property {@code cgrender.moto.python} or the environment
 * variable {@code CGRENDER_MOTO_PYTHON}; else {@code python3} on the PATH; else any pyenv Python
 * ({@code $PYENV_ROOT/versions/}{@code *}{@code /bin/python3}) that can {@code import moto.server}. Where none can,
 * the calling test is skipped with a message saying so (on CI, {@code CI=true}, it fails: {@link Requirement}).
 * <p>
 * {@link #shared()} is one server per JVM, stopped by a shutdown hook; {@link #start()} is a server of the caller's
 * own, stopped by {@link #close()}.
 */
public final class MotoServer implements AutoCloseable {

    public static final String REGION = "us-east-1";
    public static final String ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE";
    public static final String SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    /** The account moto's resources belong to. */
    public static final String ACCOUNT = "123456789012";

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    private static final int BIND_ATTEMPTS = 5;
    private static MotoServer shared;

    private final Path log;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Process process;
    private int port;

    private MotoServer(Path log) {
        this.log = log;
    }

    /** The JVM's one moto server, started on first use; skips the calling test if moto is not installed. */
    public static synchronized MotoServer shared() {
        if (shared == null || !shared.isRunning()) {
            shared = start();
            MotoServer server = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(server::close, "moto-server-reaper"));
        }
        return shared;
    }

    /** Starts a server of the caller's own; skips the calling test if moto is not installed. */
    public static MotoServer start() {
        String python = findPython().orElse(null);
        Requirement.require(python != null, "moto is not installed (pip install 'moto[server]'; see the README,"
                + " Building and testing), and the test needs an EC2-compatible server. Looked for a Python"
                + " that can import moto.server: -Dcgrender.moto.python, $CGRENDER_MOTO_PYTHON, python3 on the PATH,"
                + " pyenv's versions");
        try {
            MotoServer server = new MotoServer(Files.createTempFile("cgrender-moto-", ".log"));
            server.launch(python);
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start moto", e);
        }
    }

    /** {@code http://127.0.0.1:PORT}: the endpoint of every service. */
    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** Forgets every resource of every service (and account and region). */
    public void reset() {
        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(endpoint() + "/moto-api/reset"))
                .POST(HttpRequest.BodyPublishers.noBody()));
        if (response.statusCode() != 200) {
            throw new IllegalStateException("moto reset answered " + response.statusCode() + ": " + response.body());
        }
    }

    /** moto's whole state as JSON ({@code GET /moto-api/data.json}), by service and resource type. */
    public String data() {
        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(endpoint() + "/moto-api/data.json"))
                .GET());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("moto data.json answered " + response.statusCode());
        }
        return response.body();
    }

    /** What moto logged (one line per request), for diagnostics. */
    public String log() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
    }

    @Override
    public synchronized void close() {
        if (process != null) {
            ProcessFamily.end(process, STOP_TIMEOUT);
            process = null;
        }
        try {
            Files.deleteIfExists(log);
        } catch (IOException ignored) {
            // a log left in /tmp is harmless
        }
    }

    @Override
    public String toString() {
        return "moto on " + endpoint();
    }

    // ---------------------------------------------------------------- internals

    private void launch(String python) throws IOException {
        String failure = "";
        for (int attempt = 1; attempt <= BIND_ATTEMPTS; attempt++) {
            port = FreePort.find();
            ProcessBuilder builder = new ProcessBuilder(python, "-m", "moto.server", "-H", "127.0.0.1", "-p",
                    Integer.toString(port))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            builder.environment().putAll(serverEnvironment());
            process = builder.start();
            failure = awaitReady();
            if (failure.isEmpty()) {
                return;
            }
            close();
            if (!failure.contains("Address already in use")) {
                break;
            }
        }
        throw new IllegalStateException("moto did not start on 127.0.0.1:" + port + ": " + failure);
    }

    private static Map<String, String> serverEnvironment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("MOTO_EC2_ENABLE_INSTANCE_TYPE_VALIDATION", "true");
        env.put("MOTO_ENABLE_AMI_VALIDATION", "true");
        env.put("MOTO_ENABLE_KEYPAIR_VALIDATION", "true");
        env.put("AWS_ACCESS_KEY_ID", ACCESS_KEY);
        env.put("AWS_SECRET_ACCESS_KEY", SECRET_KEY);
        env.put("AWS_DEFAULT_REGION", REGION);
        env.put("PYTHONUNBUFFERED", "1");
        return env;
    }

    private String awaitReady() {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() - deadline < 0) {
            if (!process.isAlive()) {
                return "it exited with " + process.exitValue() + "; its log says: " + log();
            }
            if (FreePort.isListening(port)) {
                try {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(endpoint()
                            + "/moto-api/data.json")).timeout(Duration.ofSeconds(5)).GET().build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() == 200) {
                        return "";
                    }
                } catch (IOException e) {
                    // not serving yet
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return "interrupted while waiting for it";
                }
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted while waiting for it";
            }
        }
        return "not serving within " + READY_TIMEOUT.toSeconds() + "s; its log says: " + log();
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return http.send(request.timeout(REQUEST_TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reach " + this, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while talking to " + this, e);
        }
    }

    /** A Python that can import moto.server, by the order the class comment gives. */
    static Optional<String> findPython() {
        List<String> candidates = new ArrayList<>();
        String named = System.getProperty("cgrender.moto.python", System.getenv("CGRENDER_MOTO_PYTHON"));
        if (named != null && !named.isBlank()) {
            candidates.add(named);
        }
        candidates.add("python3");
        String pyenvRoot = Optional.ofNullable(System.getenv("PYENV_ROOT"))
                .orElse(System.getProperty("user.home") + "/.pyenv");
        Path versions = Path.of(pyenvRoot, "versions");
        if (Files.isDirectory(versions)) {
            try (var dirs = Files.list(versions)) {
                dirs.sorted(java.util.Comparator.reverseOrder())
                        .map(dir -> dir.resolve("bin/python3"))
                        .filter(Files::isExecutable)
                        .forEach(p -> candidates.add(p.toString()));
            } catch (IOException ignored) {
                // no pyenv to look at
            }
        }
        for (String candidate : candidates) {
            try {
                if (OsCommand.run(Duration.ofSeconds(60), candidate, "-c", "import moto.server").exitCode() == 0) {
                    return Optional.of(candidate);
                }
            } catch (RuntimeException notThere) {
                // not installed, or not runnable: try the next
            }
        }
        return Optional.empty();
    }
}
