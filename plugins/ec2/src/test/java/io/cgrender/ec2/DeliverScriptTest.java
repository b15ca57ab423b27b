package io.cgrender.ec2;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import io.cgrender.core.delivery.DeliveryJob;
import io.cgrender.testkit.OsCommand;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The job script of a delivered render (DeliveryScript + deliver.sh) run for real by bash in a temporary home, with
 * an {@code aws} on the PATH that keeps what it is asked to store in a directory, refuses (as S3 refuses a bucket of
 * another owner) a store that does not name the bucket's owner, so that every store is seen to, or fails as an
 * unreachable S3 does.
 * The end-to-end tests run the same script against moto; these cover its branches quickly.
 */
class DeliverScriptTest {

    private static final String JOB = "j-20261125-010203-abcd";
    private static final String PREFIX = "alice/cube/" + JOB + "/";

    @TempDir
    Path dir;
    private Path home;
    private Path s3;
    private Path bin;

    @BeforeEach
    void setUp() throws IOException {
        home = Files.createDirectories(dir.resolve("home"));
        s3 = Files.createDirectories(dir.resolve("s3"));
        bin = Files.createDirectories(dir.resolve("bin"));
        Path aws = Files.writeString(bin.resolve("aws"), """
                #!/bin/bash
                echo "$*" >> "$FAKE_S3/calls"
                if [ -n "${FAKE_FAIL:-}" ]; then
                  echo 'Could not connect to the endpoint URL: "http://127.0.0.1:9/b"' >&2
                  exit 255
                fi
                if [ -s "$FAKE_S3/answers" ]; then
                  answer="$(head -n 1 "$FAKE_S3/answers")"; sed -i 1d "$FAKE_S3/answers"
                  if [ "$answer" != ok ]; then echo "$answer" >&2; exit 254; fi
                fi
                while [ $# -gt 0 ]; do
                  case "$1" in
                    s3api) shift 2
                        while [ $# -gt 0 ]; do
                          case "$1" in
                            --bucket) b="$2" ;; --key) k="$2" ;; --body) f="$2" ;; --expected-bucket-owner) o="$2" ;;
                          esac
                          shift 2
                        done
                        if [ "${o:-}" != 123456789012 ]; then
                          echo 'An error occurred (AccessDenied) when calling the PutObject operation' >&2; exit 254
                        fi
                        mkdir -p "$FAKE_S3/$b/$(dirname "$k")"; cp "$f" "$FAKE_S3/$b/$k"; exit 0 ;;
                    ses) printf '%s\\n' "$@" > "$FAKE_S3/mail"; exit 0 ;;
                    *) shift ;;
                  esac
                done
                """);
        assertTrue(aws.toFile().setExecutable(true));
        Path out = Files.createDirectories(home.resolve(".cgrender/jobs/" + JOB + "/out"));
        Files.writeString(out.resolve("t0.stl"), "solid cube\nendsolid cube\n");
        Files.writeString(out.resolve("t0.exit"), "0\n");
        Files.writeString(out.resolve("t1.exit"), "1\n");
        Files.createDirectories(home.resolve(".cgrender/jobs/" + JOB + "/in/abc/src"));
        Files.writeString(home.resolve(".cgrender/jobs/" + JOB + "/in/abc/src/cube.scad"), "cube(1);\n");
    }

    @Test
    void everythingIsStoredMailedAndTheWorkingFilesGo() throws IOException {
        OsCommand.Result r = run("echo rendering; exit 0", Map.of());
        assertEquals(0, r.exitCode(), r.stdout() + r.stderr());
        assertEquals("solid cube\nendsolid cube\n", Files.readString(s3.resolve("b/" + PREFIX + "cube.stl")));
        assertFalse(Files.exists(s3.resolve("b/" + PREFIX + "other.stl")), "a target that failed has no output");
        Config manifest = json(s3.resolve("b/" + PREFIX + "manifest.json"));
        assertEquals(JOB, manifest.getString("job"));
        assertEquals(0, manifest.getInt("exit_code"));
        assertEquals("c6i.large", manifest.getString("instance_type"));
        assertEquals("cube.stl", manifest.getConfigList("outputs").get(0).getString("name"));
        assertEquals("s3://b/" + PREFIX + "cube.stl", manifest.getConfigList("outputs").get(0).getString("uri"));
        assertEquals(0.085, manifest.getDouble("estimated_cost.hourly_usd"));
        assertEquals("instance-profile", manifest.getString("box_access"));
        Config entry = json(s3.resolve("b/alice/cache/k0.json"));
        assertEquals(PREFIX + "cube.stl", entry.getString("files.output"),
                "the cache entry of the target that rendered");
        assertEquals(sha256("solid cube\nendsolid cube\n"), entry.getString("sha256.output"),
                "the hash of what the box stored, for every later hit to be checked against");
        assertFalse(Files.exists(s3.resolve("b/alice/cache/k1.json")), "none for the one that failed");
        String log = Files.readString(s3.resolve("b/" + PREFIX + "render.log"));
        assertTrue(log.contains("rendering") && log.contains("cgrender: mailed me@example.com"), log);
        List<String> mail = Files.readAllLines(s3.resolve("mail"));
        assertEquals(List.of("ses", "send-email", "--from", "me@example.com", "--to", "me@example.com", "--subject"),
                mail.subList(0, 7));
        assertTrue(mail.get(7).startsWith("cgrender: tiny/cube.scad rendered in "), mail.toString());
        assertEquals("--text", mail.get(8));
        String body = String.join("\n", mail.subList(9, mail.size()));
        assertTrue(body.contains("s3://b/" + PREFIX + "cube.stl") && body.contains("https://link/cube.stl")
                && body.contains("The download links are valid until 2026-12-02T01:02:03Z"), body);
        assertFalse(Files.exists(home.resolve(".cgrender/jobs/" + JOB + "/out")), "outputs removed");
        assertFalse(Files.exists(home.resolve(".cgrender/jobs/" + JOB + "/in")), "the job's inputs removed");
        assertTrue(Files.readString(home.resolve(".cgrender/jobs/" + JOB + "/detail"))
                .startsWith("detail=results stored in s3://b/" + PREFIX + "; mail: sent"));
        assertNoLinkLeftOnTheBox();
    }

    @Test
    void aRenderThatFailedIsStillStoredAndMailedAsAFailure() throws IOException {
        OsCommand.Result r = run("echo 'ERROR: Parser error'; exit 1", Map.of());
        assertEquals(1, r.exitCode(), "the render's exit code");
        assertEquals(1, json(s3.resolve("b/" + PREFIX + "manifest.json")).getInt("exit_code"));
        List<String> mail = Files.readAllLines(s3.resolve("mail"));
        assertEquals("cgrender: tiny/cube.scad failed (exit 1)", mail.get(7));
    }

    @Test
    void anUnreachableS3KeepsTheFilesAndSaysSo() throws IOException {
        OsCommand.Result r = run("exit 0", Map.of("FAKE_FAIL", "1"));
        assertEquals(1, r.exitCode(), "a job whose results could not be stored failed");
        String detail = Files.readString(home.resolve(".cgrender/jobs/" + JOB + "/detail"));
        assertTrue(detail.startsWith("detail=could not store the results in s3://b/" + PREFIX + " (Could not"
                + " connect to the endpoint URL"), detail);
        assertTrue(detail.contains("the working files are kept on the box in ~/.cgrender/jobs/" + JOB + "/out"));
        assertTrue(Files.exists(home.resolve(".cgrender/jobs/" + JOB + "/out/t0.stl")));
        assertTrue(Files.exists(home.resolve(".cgrender/jobs/" + JOB + "/in/abc/src/cube.scad")));
        assertFalse(Files.exists(s3.resolve("b")), "nothing stored");
        assertNoLinkLeftOnTheBox();
    }

    /** The mailed download links (and any upload URL) are gone from the box once the delivery ran. */
    private void assertNoLinkLeftOnTheBox() throws IOException {
        try (var files = Files.walk(home)) {
            List<Path> holding = files.filter(Files::isRegularFile).filter(f -> {
                try {
                    return Files.readString(f).contains("https://link/");
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).toList();
            assertEquals(List.of(), holding, "files on the box still holding a download link");
        }
    }

    @Test
    void credentialsNotYetUsableAndThrottlingAreWaitedOut() throws IOException {
        answers("upload failed: t0.stl to s3://b/k An error occurred (InvalidAccessKeyId) when calling the PutObject"
                        + " operation: The AWS Access Key Id you provided does not exist in our records.",
                "Unable to locate credentials. You can configure credentials by running \"aws configure\".",
                "upload failed: t0.stl to s3://b/k An error occurred (SlowDown) when calling the PutObject operation"
                        + " (reached max retries: 2): Please reduce your request rate.",
                "ok", "ok", "ok",
                "An error occurred (Throttling) when calling the SendEmail operation (reached max retries: 2): Rate"
                        + " exceeded", "ok", "ok");
        OsCommand.Result r = run("echo rendering; exit 0", Map.of());
        assertEquals(0, r.exitCode(), r.stdout() + r.stderr());
        assertEquals("solid cube\nendsolid cube\n", Files.readString(s3.resolve("b/" + PREFIX + "cube.stl")));
        assertTrue(Files.exists(s3.resolve("b/" + PREFIX + "manifest.json")));
        assertTrue(Files.exists(s3.resolve("mail")), "mailed");
        String log = Files.readString(s3.resolve("b/" + PREFIX + "render.log"));
        assertTrue(log.contains("cgrender: waiting for the box's AWS credentials to become usable (InvalidAccessKeyId:"
                + " The AWS Access Key Id you provided does not exist in our records.); next try in 0.01s, at most"
                + " until "), log);
        assertTrue(log.contains("cgrender: waiting for the box's AWS credentials to become usable (Unable to locate"
                + " credentials."), log);
        assertTrue(log.contains("cgrender: AWS answered SlowDown: Please reduce your request rate.; try 2 of 4 in"
                + " 0.04s"), log);
        assertTrue(log.contains("cgrender: AWS answered Throttling: Rate exceeded; try 2 of 4 in 0.01s"), log);
        assertTrue(log.contains("cgrender: mailed me@example.com"), log);
        assertEquals(9, Files.readAllLines(s3.resolve("calls")).stream().filter(c -> c.startsWith("--region")).count(),
                "5 calls that worked, 4 that were tried again");
    }

    @Test
    void aFinalErrorFailsAtOnceWithItsReason() throws IOException {
        answers("upload failed: t0.stl to s3://b/k An error occurred (NoSuchBucket) when calling the PutObject"
                + " operation: The specified bucket does not exist");
        OsCommand.Result r = run("exit 0", Map.of());
        assertEquals(1, r.exitCode());
        String detail = Files.readString(home.resolve(".cgrender/jobs/" + JOB + "/detail"));
        assertTrue(detail.startsWith("detail=could not store the results in s3://b/" + PREFIX + " (upload failed:"
                + " t0.stl to s3://b/k An error occurred (NoSuchBucket) when calling the PutObject operation: The"
                + " specified bucket does not exist)"), detail);
        List<String> calls = Files.readAllLines(s3.resolve("calls"));
        assertEquals(1, calls.stream().filter(c -> c.contains(" s3api put-object ")).count(), "tried once: " + calls);
    }

    @Test
    void refusedCredentialsAreFinalOnceTheWaitIsOverAndTransientErrorsOnceTheTriesAre() throws IOException {
        answers("An error occurred (AccessDenied) when calling the PutObject operation: Access Denied");
        OsCommand.Result r = run("exit 0", Map.of("CGRENDER_CREDENTIALS_WAIT", "0"));
        assertEquals(1, r.exitCode());
        assertTrue(Files.readString(home.resolve(".cgrender/jobs/" + JOB + "/detail")).contains("(AccessDenied)"));
        assertEquals(1, Files.readAllLines(s3.resolve("calls")).stream().filter(c -> c.contains(" s3api put-object ")).count());

        Files.delete(s3.resolve("calls"));
        r = run("exit 0", Map.of("FAKE_FAIL", "1", "CGRENDER_RETRY_ATTEMPTS", "3"));
        assertEquals(1, r.exitCode());
        assertEquals(3, Files.readAllLines(s3.resolve("calls")).stream().filter(c -> c.contains(" s3api put-object ")).count());
    }

    @Test
    void withoutAnAwsCliTheBoxCannotStoreAndSaysWhy() throws IOException {
        // A PATH with the tools of a minimal box and no AWS CLI (this machine may have one in /usr/bin).
        Files.delete(bin.resolve("aws"));
        for (String tool : List.of("bash", "date", "cat", "sha256sum", "cut", "stat", "awk", "tr", "grep", "tail",
                "cp", "rm", "mkdir", "timeout", "dirname")) {
            Path found = Path.of("/usr/bin", tool);
            Files.createSymbolicLink(bin.resolve(tool), Files.exists(found) ? found : Path.of("/bin", tool));
        }
        OsCommand.Result r = run("exit 0", Map.of("PATH", bin.toString()));
        assertEquals(1, r.exitCode());
        assertTrue(Files.readString(home.resolve(".cgrender/jobs/" + JOB + "/detail"))
                .contains("(the AWS CLI (aws) is not installed on the box)"));
    }

    @Test
    void theScriptIsValidBash() {
        assertEquals(0, OsCommand.run(Duration.ofSeconds(10), "bash", "-n", "-c", DeliveryScript.DELIVER).exitCode());
        assertEquals(0, OsCommand.run(Duration.ofSeconds(10), "bash", "-n", "-c", script("exit 0")).exitCode());
    }

    // ---------------------------------------------------------------- helpers

    private OsCommand.Result run(String command, Map<String, String> env) {
        List<String> argv = new java.util.ArrayList<>(List.of("env", "-i", "HOME=" + home, "FAKE_S3=" + s3,
                "PATH=" + env.getOrDefault("PATH", bin + ":/usr/bin:/bin"), "CGRENDER_RETRY_PAUSE=0.01"));
        env.forEach((k, v) -> {
            if (!k.equals("PATH")) {
                argv.add(k + "=" + v);
            }
        });
        Path job = home.resolve(".cgrender/jobs/" + JOB);
        try {
            Files.writeString(job.resolve("log"), "");
            // where run.sh keeps it
            Path script = Files.writeString(job.resolve("command.sh"), script(command));
            // as run.sh runs it: output appended to the job's log
            argv.addAll(List.of("/bin/bash", "-c", "bash " + script + " >> " + job.resolve("log") + " 2>&1"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return OsCommand.run(Duration.ofSeconds(60), argv);
    }

    /** What the fake AWS CLI answers to its next calls, one a line: an error it prints, or {@code ok}. */
    private void answers(String... lines) throws IOException {
        Files.writeString(s3.resolve("answers"), String.join("\n", lines) + "\n");
    }

    private String script(String command) {
        String jobDir = ".cgrender/jobs/" + JOB;
        DeliveryJob job = new DeliveryJob(JOB, jobDir, "cube", "tiny/cube.scad", command,
                List.of(new DeliveryJob.File("cube.stl", jobDir + "/out/t0.stl", jobDir + "/out/t0.exit"),
                        new DeliveryJob.File("other.stl", jobDir + "/out/t1.stl", jobDir + "/out/t1.exit")),
                List.of(new DeliveryJob.CacheEntry("k0", Map.of("output", "cube.stl"), jobDir + "/out/t0.exit"),
                        new DeliveryJob.CacheEntry("k1", Map.of("output", "other.stl"), jobDir + "/out/t1.exit")),
                List.of(jobDir + "/out", jobDir + "/in"), Map.of("job", JOB, "kind", "render"));
        DeliveryScript s = new DeliveryScript(job, false)
                .set("mode", "instance-profile").set("region", "us-east-1").set("bucket", "b")
                .set("bucket_owner", "123456789012").set("prefix", PREFIX)
                .set("location", "s3://b/" + PREFIX).set("job_id", JOB).set("title", "tiny/cube.scad")
                .set("box_id", "i-0123456789abcdef0").set("instance_type", "c6i.large").set("hourly_price", "0.085")
                .set("price_basis", "list price").set("email_to", "me@example.com")
                .set("email_from", "me@example.com").set("links_expire", "2026-12-02T01:02:03Z (7d)")
                .set("log_put_url", "").set("log_link", "https://link/render.log").set("manifest_put_url", "")
                .set("manifest_link", "https://link/manifest.json").set("mail_put_url", "")
                .set("mail_link", "https://link/mail.txt");
        for (DeliveryJob.File f : job.files()) {
            s.file(f, new DeliveryScript.Upload(f.name(), "", "https://link/" + f.name()));
        }
        for (DeliveryJob.CacheEntry e : job.cache()) {
            String name = e.names().get("output");
            s.cacheEntry(e, "alice/cache/" + e.key() + ".json", "", S3ResultStore.entry(JOB,
                    Map.of("output", PREFIX + name), Map.of("output", S3ResultStore.hashOf(name))));
        }
        s.manifest(job.manifest());
        return s.script();
    }

    private static String sha256(String text) {
        return java.util.HexFormat.of().formatHex(io.cgrender.core.sync.FileHashes.sha256digest(
                text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    private static Config json(Path file) throws IOException {
        return ConfigFactory.parseString(Files.readString(file), ConfigParseOptions.defaults()
                .setSyntax(ConfigSyntax.JSON));
    }
}
