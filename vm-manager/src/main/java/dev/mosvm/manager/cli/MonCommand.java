package dev.mosvm.manager.cli;

import dev.mosvm.api.AgentClient;
import dev.mosvm.manager.hypervisor.Hypervisor;
import dev.mosvm.manager.pool.MonitorScreen;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;
import org.jline.terminal.Attributes;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.utils.InfoCmp;
import org.jline.utils.NonBlockingReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "mon", mixinStandardHelpOptions = true,
        description = {"Live monitor of the pool, refreshed every second: a load bar per node with speed, free memory "
                + "and the age of the information. Press q to quit."})
final class MonCommand implements Callable<Integer> {
    static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");
    @ParentCommand MosvmCommand root;
    @Spec CommandSpec spec;

    @Mixin InstanceOption instance;

    @Option(names = "--once", description = "Print one frame and exit (for scripts and logs).")
    boolean once;

    @Option(names = "--width", paramLabel = "COLUMNS", description = "Frame width with --once (default: 80).", defaultValue = "80")
    int width;

    @Override
    public Integer call() throws Exception {
        try (Hypervisor hv = root.connect()) {
            AgentClient agent = root.service(hv, spec).client(instance.name, Duration.ofSeconds(5), true);
            if (once) {
                PrintWriter out = spec.commandLine().getOut();
                MonitorScreen.render(agent.nodes(), width, LocalTime.now().format(CLOCK)).forEach(out::println);
                out.flush();
                return 0;
            }
            try (Terminal t = TerminalBuilder.builder().system(true).build()) {
                Attributes saved = t.enterRawMode();
                t.puts(InfoCmp.Capability.cursor_invisible);
                NonBlockingReader keys = t.reader();
                try {
                    while (true) {
                        var frame = MonitorScreen.render(agent.nodes(), t.getWidth() <= 0 ? 80 : t.getWidth(), LocalTime.now().format(CLOCK));
                        t.puts(InfoCmp.Capability.clear_screen);
                        frame.forEach(l -> t.writer().print(l + "\r\n"));
                        t.flush();
                        int c = keys.read(1000); // the refresh period doubles as the key wait
                        if (c == 'q' || c == 'Q' || c == 3 || c == NonBlockingReader.EOF) break;
                    }
                } finally {
                    t.puts(InfoCmp.Capability.cursor_visible);
                    t.setAttributes(saved);
                    t.writer().println();
                    t.flush();
                }
            }
        }
        return 0;
    }
}
