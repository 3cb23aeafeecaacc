package dev.mosvm.console;

import dev.mosvm.api.PoolView;
import java.io.PrintWriter;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import org.jline.terminal.Attributes;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.utils.InfoCmp;
import org.jline.utils.NonBlockingReader;

/** `mon`: redraws {@link MonitorScreen} every second until q (or Ctrl-C, or end of input). */
public final class LiveMonitor {
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

    /** Where the frames' data comes from (an agent, over whatever channel the caller has). */
    @FunctionalInterface
    public interface Source {
        PoolView nodes() throws Exception;
    }

    private LiveMonitor() {}

    /** One frame, for scripts and logs. */
    public static void once(Source source, PrintWriter out, int width) throws Exception {
        MonitorScreen.render(source.nodes(), width, LocalTime.now().format(CLOCK)).forEach(out::println);
        out.flush();
    }

    public static void run(Source source) throws Exception {
        try (Terminal t = TerminalBuilder.builder().system(true).build()) {
            Attributes saved = t.enterRawMode();
            t.puts(InfoCmp.Capability.cursor_invisible);
            NonBlockingReader keys = t.reader();
            try {
                while (true) {
                    var frame = MonitorScreen.render(source.nodes(), t.getWidth() <= 0 ? 80 : t.getWidth(), LocalTime.now().format(CLOCK));
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
}
