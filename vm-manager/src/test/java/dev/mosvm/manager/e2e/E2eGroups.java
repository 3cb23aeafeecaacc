package dev.mosvm.manager.e2e;

/**
 * The groups scripts/test-all.sh schedules the end-to-end classes in, by JUnit tag, so the host
 * never runs more than three emulated guests at once: the pool of two's classes in their
 * {@code @Order} in one JVM, beside them the classes that boot one VM at a time in another,
 * then every other class (pools of three) alone. A class without a tag runs in that last,
 * alone, group: new classes are safe by default. Plain {@code mvn verify} runs all of them in
 * one JVM, one after the other.
 */
final class E2eGroups {
    /** Classes on the run's shared pool of two (ca, cb); {@link PoolOfTwo} refuses a class without it. */
    static final String POOL_OF_TWO = "pool-of-two";
    /** Classes that never run more than one VM at a time, and touch nothing of the host's but their own VMs. */
    static final String ONE_VM = "one-vm";

    /** Whether {@code c} is one of the pool of two's classes: its tag, which {@link PoolOfTwo} requires of them. */
    static boolean onPoolOfTwo(Class<?> c) {
        org.junit.jupiter.api.Tag tag = c.getAnnotation(org.junit.jupiter.api.Tag.class);
        return tag != null && POOL_OF_TWO.equals(tag.value());
    }

    private E2eGroups() {}
}
