package dev.mosvm.agent.balance;

import java.util.Locale;

/**
 * The target's check on a job a peer's balancer offers it (its view of itself is fresher than
 * the sender's gossip): the job must fit in memory, a balanced one must still run faster here
 * than where it is, and a balanced guest is not taken while this node's own jobs fill its CPUs.
 * Moves a user asks for are the user's call and are not checked here. Pure.
 */
public final class GuestAdmission {
    /**
     * A job offered to this node.
     *
     * @param job          the job
     * @param from         the node it runs on
     * @param reason       BALANCED or USHERED (why the sender's balancer moves it)
     * @param guest        its home is another node than this one
     * @param rateAtSource the rate it gets where it is (reference cores)
     * @param rssKb        its resident memory
     * @param workDone     reference-core seconds it has run
     */
    public record Offer(String job, String from, Move.Reason reason, boolean guest, double rateAtSource, long rssKb, double workDone) {}

    private GuestAdmission() {}

    /**
     * Why {@code here} will not take the job now, or null if it will.
     *
     * @param ownJobs jobs running here whose home is this node
     */
    public static String refusal(Balancer balancer, NodeLoad here, int ownJobs, Offer offer) {
        // a guest here gets only CPU the owner's jobs leave (cpu.weight), so none while they fill the CPUs;
        // a job fleeing a node short of memory is still taken in, to wait at that low weight
        if (offer.guest() && offer.reason() == Move.Reason.BALANCED && ownJobs >= here.cpus()) {
            return here.node() + " is busy with its own jobs and takes no guests now";
        }
        if (!balancer.accepts(here, offer.reason(), offer.rateAtSource(), offer.rssKb())) {
            return String.format(Locale.ROOT, "%s declines: %d MiB free, %d job(s); it would give the job %.2f reference cores against %.2f on %s",
                    here.node(), here.freeMemKb() / 1024, here.jobs(), here.rateForOneMore(), offer.rateAtSource(), offer.from());
        }
        return null;
    }
}
