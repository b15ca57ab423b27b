package io.cgrender.core.job;

import io.cgrender.core.job.JobOutputs.Action;
import io.cgrender.core.job.JobOutputs.Decision;
import io.cgrender.core.job.JobOutputs.Kept;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Which of the files a run job kept on its box come back, and where they are written. */
class JobOutputsTest {

    private static final String JOB = "j-20260101-000000-abcd";
    private static final String A = "a".repeat(64);
    private static final String B = "b".repeat(64);
    private static final String C = "c".repeat(64);

    @TempDir
    Path dir;
    /** The local files' content hashes, as FileHashes would say. */
    private final Map<Path, String> local = new HashMap<>();

    private Decision decide(Kept kept, Map<String, String> inputs, boolean intoWorkdir) {
        RunOutputs outputs = new RunOutputs(OutputGlobs.parse(List.of("**")), dir, intoWorkdir);
        List<Decision> plan = JobOutputs.plan(List.of(kept), inputs, outputs, JOB,
                p -> Optional.ofNullable(local.get(p)));
        assertEquals(1, plan.size());
        return plan.get(0);
    }

    private Path existing(String path, String hash) throws IOException {
        Path p = dir.resolve(path);
        Files.createDirectories(p.getParent());
        Files.writeString(p, hash);
        local.put(p, hash);
        return p;
    }

    @Test
    void aSyncedInputTheJobLeftAsItWasDoesNotComeBack() throws IOException {
        existing("src/in.txt", A);
        assertEquals(Action.UNCHANGED_INPUT, decide(new Kept("src/in.txt", A), Map.of("src/in.txt", A), true)
                .action());
        assertEquals(Action.UNCHANGED_INPUT, decide(new Kept("src/in.txt", A), Map.of("src/in.txt", A), false)
                .action(), "not with -o DIR either: it is no output");
    }

    @Test
    void aNewFileIsWrittenUnlessItIsHereAlready() throws IOException {
        Decision fresh = decide(new Kept("out/sub/new.bin", A), Map.of(), true);
        assertEquals(Action.WRITE, fresh.action());
        assertEquals(dir.resolve("out/sub/new.bin"), fresh.target());

        existing("out/same.bin", A);
        assertEquals(Action.UP_TO_DATE, decide(new Kept("out/same.bin", A), Map.of(), true).action());
    }

    @Test
    void anInputTheJobChangedReplacesTheLocalFileOnlyIfThatIsStillWhatTheJobStartedFrom() throws IOException {
        existing("notes.txt", A);
        Decision replaced = decide(new Kept("notes.txt", B), Map.of("notes.txt", A), true);
        assertEquals(Action.WRITE, replaced.action());
        assertEquals(dir.resolve("notes.txt"), replaced.target());

        local.put(dir.resolve("notes.txt"), C); // edited here while the job ran
        Decision beside = decide(new Kept("notes.txt", B), Map.of("notes.txt", A), true);
        assertEquals(Action.BESIDE, beside.action());
        assertEquals(dir.resolve("notes.txt"), beside.local());
        assertEquals(dir.resolve("notes.txt." + JOB), beside.target());
    }

    @Test
    void aFileThatAppearedInTheWorkDirectoryMeanwhileIsKeptButElsewhereItIsReplacedLikeARenderResult()
            throws IOException {
        existing("report.txt", C);
        assertEquals(Action.BESIDE, decide(new Kept("report.txt", B), Map.of(), true).action());
        assertEquals(Action.WRITE, decide(new Kept("report.txt", B), Map.of(), false).action());
    }

    @Test
    void somethingOtherThanAFileInTheWayIsNeverReplaced() throws IOException {
        Files.createDirectories(dir.resolve("out/x"));
        assertEquals(Action.BESIDE, decide(new Kept("out/x", B), Map.of(), false).action());
    }

    @Test
    void aNameThatWouldLeaveTheOutputDirectoryIsNotWritten() {
        for (String bad : List.of("../escape", "/etc/passwd", "a/../../b", "a//b", "a/./b", "a/", "")) {
            assertEquals(Action.UNSAFE, decide(new Kept(bad, B), Map.of(), false).action(), bad);
        }
        assertEquals(Optional.of(dir.resolve("a/b c")), JobOutputs.below(dir, "a/b c"));
    }

    @Test
    void theBoxListIsReadFromSha256sumZeroEndedRecords() {
        List<Kept> kept = JobOutputs.parseHashes(List.of(A + "  out/a b.txt", B + "  out/new\nline", "garbage"));
        assertEquals(List.of(new Kept("out/a b.txt", A), new Kept("out/new\nline", B)), kept);
    }
}
