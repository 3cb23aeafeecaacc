package dev.mosvm.builder.steps;

/** One step of an image build; steps run in order and report through the context's listener. */
public interface BuildStep {
    String description();

    void run(BuildContext ctx) throws Exception;
}
