package dev.mosvm.builder;

/** Build progress as events; front ends decide how to draw them. */
public interface ProgressListener {
    void stepStarted(int index, int total, String description);

    /** A line of detail from the running step (e.g. mmdebstrap's phase). */
    void detail(String line);

    void stepFinished(int index, int total, String description, long millis);

    ProgressListener SILENT = new ProgressListener() {
        @Override public void stepStarted(int index, int total, String description) {}
        @Override public void detail(String line) {}
        @Override public void stepFinished(int index, int total, String description, long millis) {}
    };
}
