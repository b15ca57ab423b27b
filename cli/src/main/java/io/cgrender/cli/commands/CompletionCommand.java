package io.cgrender.cli.commands;

import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "completion",
        footer = {"", "Examples:", "  source <(cgrender completion)"},
        description = {
        "Print a bash/zsh completion script.",
        "Use with:",
        "  source <(cgrender completion)          # bash",
        "  autoload -U bashcompinit && bashcompinit && source <(cgrender completion)   # zsh"})
public final class CompletionCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        String script = AutoComplete.bash("cgrender", spec.root().commandLine());
        spec.commandLine().getOut().print(script);
        spec.commandLine().getOut().flush();
    }
}
