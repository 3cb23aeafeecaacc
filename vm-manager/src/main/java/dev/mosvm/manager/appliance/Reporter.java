package dev.mosvm.manager.appliance;

/** Where services report progress; the CLI prints it, tests collect it. */
public interface Reporter {
    void progress(String line);

    void warn(String line);

    Reporter SILENT = new Reporter() {
        @Override public void progress(String line) {}
        @Override public void warn(String line) {}
    };
}
