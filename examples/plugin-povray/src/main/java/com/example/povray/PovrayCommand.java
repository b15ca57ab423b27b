package com.example.povray;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.UsageException;
import io.cgrender.core.box.Box;
import io.cgrender.core.box.BoxEnvironment;
import io.cgrender.core.box.CreateOptions;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.plugin.CommandContext;
import io.cgrender.core.plugin.PluginCommand;
import io.cgrender.core.ssh.ExecResult;
import io.cgrender.core.ssh.RemoteHost;
import io.cgrender.core.ssh.Shell;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** {@code cgrender povray SCENE.pov}: renders a scene on the namespace's povray box and downloads the PNG. */
@Command(name = "povray", description = {
        "Render a POV-Ray scene on a povray-ubuntu-box (reused or created) and write SCENE.png next to it.",
        "The scene is one .pov file; it may include POV-Ray's standard include files (colors.inc, …)."})
public final class PovrayCommand implements PluginCommand {

    @Parameters(paramLabel = "SCENE.pov", description = "The scene to render.")
    Path scene;

    @Option(names = {"-W", "--width"}, defaultValue = "320", description = "Image width in pixels (default: 320).")
    int width;

    @Option(names = {"-H", "--height"}, defaultValue = "240", description = "Image height in pixels (default: 240).")
    int height;

    @Option(names = {"-o", "--output-dir"}, paramLabel = "DIR", description = "Write the image into DIR.")
    Path outputDir;

    @Override
    public int execute(CommandContext context) {
        Path file = context.cwd().resolve(scene).normalize();
        String name = file.getFileName().toString();
        if (!Files.isRegularFile(file) || !name.endsWith(".pov")) {
            throw new UsageException("scene " + scene + " is not a .pov file");
        }
        if (width < 1 || height < 1) {
            throw new UsageException("--width and --height must be positive");
        }
        String image = name.substring(0, name.length() - ".pov".length()) + ".png";
        Path target = (outputDir == null ? file.getParent() : context.cwd().resolve(outputDir)).resolve(image);

        Box box = context.roles().get(PovrayUbuntuBox.ROLE).newBox();
        BoxEnvironment env = context.environment();
        Machine machine = box.ensure(env, CreateOptions.defaults()).machine();
        RemoteHost host = box.connect(env, machine);
        String dir = "povray-scenes";
        host.upload(file, dir + "/" + name);
        context.console().status("rendering " + name + " (" + width + "x" + height + ") on " + machine.id());
        String render = "cd " + dir + " && " + Shell.join(List.of("povray", "-D", "+FN", "+W" + width, "+H" + height,
                "+I" + name, "+O" + image));
        ExecResult result = host.exec(render, context.settings().timeout("command"));
        if (!result.succeeded()) {
            throw new CgrenderException("povray failed (exit " + result.exitCode() + "); last lines of its output:\n"
                    + lastLines(result.stdout() + result.stderr(), 8));
        }
        context.console().verbose(result.stderr());
        host.download(dir + "/" + image, target);
        context.console().out().println(target);
        return 0;
    }

    private static String lastLines(String text, int n) {
        List<String> lines = Arrays.stream(text.split("\n")).filter(l -> !l.isBlank()).toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
    }
}
