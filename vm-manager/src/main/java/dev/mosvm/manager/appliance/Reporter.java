package dev.mosvm.manager.appliance;

/** Where services report progress; the CLI prints it, tests collect it. */
public interface Reporter {
    void progress(String line);

    void warn(String line);

    /** Prints progress and warnings as lines on {@code err}, flushed at once. */
    static Reporter lines(java.io.PrintWriter err) {
        return new Reporter() {
            @Override public void progress(String line) { err.println(line); err.flush(); }
            @Override public void warn(String line) { err.println(line); err.flush(); }
        };
    }

    Reporter SILENT = new Reporter() {
        @Override public void progress(String line) {}
        @Override public void warn(String line) {}
    };
}
