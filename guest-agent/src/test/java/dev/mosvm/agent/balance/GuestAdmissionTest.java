package dev.mosvm.agent.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class GuestAdmissionTest {
    static final long GB = 1024 * 1024;
    final Balancer balancer = new Balancer(BalancerConfig.DEFAULT);

    static GuestAdmission.Offer offer(Move.Reason reason, boolean guest, double rateAtSource, long rssKb) {
        return new GuestAdmission.Offer("j1", "a", reason, guest, rateAtSource, rssKb, 100);
    }

    @Test
    void aNodeWhoseOwnJobsFillItsCpusTakesNoBalancedGuest() {
        NodeLoad b = new NodeLoad("b", 2, 1.0, 2, 4 * GB);
        assertEquals("b is busy with its own jobs and takes no guests now",
                GuestAdmission.refusal(balancer, b, 2, offer(Move.Reason.BALANCED, true, 0.1, 10 * 1024)));
        assertNull(GuestAdmission.refusal(balancer, b, 1, offer(Move.Reason.BALANCED, true, 0.1, 10 * 1024)), "a CPU left for it");
        assertNull(GuestAdmission.refusal(balancer, b, 2, offer(Move.Reason.USHERED, true, 0.1, 10 * 1024)), "a job fleeing short memory waits here");
        assertNull(GuestAdmission.refusal(balancer, b, 2, offer(Move.Reason.BALANCED, false, 0.1, 10 * 1024)), "its own job coming home");
    }

    @Test
    void aBalancedJobMustRunFasterHere() {
        NodeLoad b = new NodeLoad("b", 1, 1.0, 1, 4 * GB);
        assertEquals("b declines: 4096 MiB free, 1 job(s); it would give the job 0.50 reference cores against 0.50 on a",
                GuestAdmission.refusal(balancer, b, 0, offer(Move.Reason.BALANCED, true, 0.5, 10 * 1024)));
        assertNull(GuestAdmission.refusal(balancer, b, 0, offer(Move.Reason.BALANCED, true, 0.4, 10 * 1024)));
    }

    @Test
    void anyJobTheBalancerSendsMustFit() {
        NodeLoad b = new NodeLoad("b", 4, 1.0, 0, 1 * GB);
        // room for its images and the restored job at once, above the 128 MiB reserve
        assertNull(GuestAdmission.refusal(balancer, b, 0, offer(Move.Reason.USHERED, true, 1, 448 * 1024)));
        assertEquals("b declines: 1024 MiB free, 0 job(s); it would give the job 1.00 reference cores against 1.00 on a",
                GuestAdmission.refusal(balancer, b, 0, offer(Move.Reason.USHERED, true, 1, 449 * 1024)));
    }
}
