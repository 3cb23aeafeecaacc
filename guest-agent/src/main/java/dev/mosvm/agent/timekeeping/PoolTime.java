package dev.mosvm.agent.timekeeping;

import java.util.OptionalLong;

/**
 * One time for the whole pool, whatever its workstations' clocks say. An appliance's clock
 * follows its host's (the RTC, see {@link RtcDrift}), and workstations' clocks disagree, by
 * seconds or by minutes. Gossip refuses packets stamped further than its replay bound from the
 * receiver's clock, and a job that moves must not see its clock jump. So each member keeps
 * its clock at its host's plus an offset, the pool's offset, which it takes from the member
 * that admitted it: a founder's offset is 0 (its host's time is the pool's); a member asks its
 * admitter for the time over the authenticated peer channel and moves its offset by what it
 * finds, as NTP does with one server: the answer was read half a round trip before it arrived.
 * Pure: readings in, a new offset out.
 */
public final class PoolTime {
    /**
     * Off by this or less, the offset stays. Each clock rests anywhere within its RTC check's
     * slack of where it belongs (the RTC's whole second, plus {@link RtcDrift#TOLERANCE_MILLIS}
     * either side), the admitter's and this one's alike, so two clocks on the same time may read
     * up to about 3 s apart; a smaller tolerance would chase that slack and step the clock again and again.
     */
    public static final long TOLERANCE_MILLIS = 3 * RtcDrift.TOLERANCE_MILLIS;
    /**
     * An answer that took longer than this says too little of when it was read (a TLS handshake
     * under TCG takes a few hundred ms, but it is over before the question is sent).
     */
    public static final long MAX_ROUND_TRIP_MILLIS = 2000;
    /**
     * A host this far from its admitter is not a clock to follow but a misconfiguration (a day
     * covers an RTC kept in local time on any time zone); the offset is not moved and the agent says so.
     */
    public static final long MAX_OFFSET_MILLIS = 26L * 3600 * 1000;

    private PoolTime() {}

    /**
     * How far this node's clock is behind the admitter's (negative: ahead), from one exchange:
     * asked at {@code askedAtMillis} on this node's wall clock, answered {@code peerMillis}, the
     * answer in after {@code roundTripMillis} (on the monotonic clock, which a setting meanwhile does not move).
     */
    public static long errorMillis(long askedAtMillis, long roundTripMillis, long peerMillis) {
        return peerMillis - (askedAtMillis + roundTripMillis / 2);
    }

    /** The offset to keep after one exchange, or empty to keep {@code offsetMillis}. */
    public static OptionalLong follow(long offsetMillis, long askedAtMillis, long roundTripMillis, long peerMillis) {
        if (roundTripMillis < 0 || roundTripMillis > MAX_ROUND_TRIP_MILLIS) return OptionalLong.empty();
        long error = errorMillis(askedAtMillis, roundTripMillis, peerMillis);
        if (Math.abs(error) <= TOLERANCE_MILLIS) return OptionalLong.empty();
        long next = offsetMillis + error;
        if (Math.abs(next) > MAX_OFFSET_MILLIS) return OptionalLong.empty();
        return OptionalLong.of(next);
    }
}
