package dev.mosvm.agent.gossip;

import dev.mosvm.api.NodeInfo;
import java.util.Arrays;

/**
 * The freshest entry heard per node. An entry is stored as the local time at which its age
 * was zero ({@code stamp = now - age}), so ages grow by themselves between updates and a
 * received entry replaces the held one only if it is younger.
 *
 * <p>The {@code window} youngest entries are kept in order as they change: an entry can only
 * get younger by being updated, and all age at the same rate, so an entry that has dropped
 * out of the youngest window re-enters only through an update, where it is checked. That
 * makes building a message O(window) instead of a sort of the whole board.
 */
final class BulletinBoard {
    private static final long ABSENT = Long.MIN_VALUE;
    private final NodeIds ids;
    private long[] stamp = new long[0];
    private NodeInfo[] info = new NodeInfo[0];
    private boolean[] left = new boolean[0];
    /** Each entry's proof as its node signed it, passed on untouched (null where nodes sign nothing). */
    private EntryProof[] proof = new EntryProof[0];
    /** Present slots, unordered, for iteration and random peer choice. */
    private int[] present = new int[0];
    private int[] positionInPresent = new int[0];
    private int presentCount;
    /** The youngest entries, youngest first. */
    private final int[] young;
    private int youngCount;

    BulletinBoard(NodeIds ids, int window) {
        this.ids = ids;
        this.young = new int[window];
    }

    int size() {
        return presentCount;
    }

    int slotAt(int i) {
        return present[i];
    }

    boolean has(int slot) {
        return slot < stamp.length && stamp[slot] != ABSENT;
    }

    long age(int slot, long now) {
        return now - stamp[slot];
    }

    NodeInfo info(int slot) {
        return info[slot];
    }

    boolean left(int slot) {
        return left[slot];
    }

    EntryProof proof(int slot) {
        return proof[slot];
    }

    /** The entry held for {@code slot}, as it would be sent now. */
    WireEntry entry(int slot, long now) {
        return new WireEntry(info[slot], now - stamp[slot], left[slot], proof[slot]);
    }

    static final int IGNORED = 0;
    static final int UPDATED = 1;
    /** A node we did not hold, or one that newly left: membership news worth broadcasting. */
    static final int MEMBERSHIP_NEWS = 2;

    /** Takes the entry if it is younger than what is held; says what it was. */
    int merge(long now, WireEntry e) {
        int slot = ids.intern(e.info().id());
        long s = now - Math.max(0, e.ageMillis());
        ensure(slot);
        boolean absent = stamp[slot] == ABSENT;
        if (!absent && s <= stamp[slot]) return IGNORED;
        boolean newlyLeft = e.left() && (absent || !left[slot]);
        put(slot, s, e.info(), e.left(), e.proof());
        return absent || newlyLeft ? MEMBERSHIP_NEWS : UPDATED;
    }

    /** Sets an entry as of now (the node's own). */
    void set(long now, NodeInfo i, boolean hasLeft) {
        int slot = ids.intern(i.id());
        ensure(slot);
        put(slot, now, i, hasLeft, null);
    }

    private void put(int slot, long s, NodeInfo i, boolean hasLeft, EntryProof p) {
        if (stamp[slot] == ABSENT) {
            positionInPresent[slot] = presentCount;
            if (presentCount == present.length) present = Arrays.copyOf(present, Math.max(16, present.length * 2));
            present[presentCount++] = slot;
        }
        stamp[slot] = s;
        info[slot] = i;
        left[slot] = hasLeft;
        proof[slot] = p;
        promote(slot);
    }

    private void promote(int slot) {
        int at = indexInYoung(slot);
        if (at >= 0) { // remove, then re-insert at its new rank
            System.arraycopy(young, at + 1, young, at, youngCount - at - 1);
            youngCount--;
        }
        if (youngCount == young.length && stamp[slot] <= stamp[young[youngCount - 1]]) return;
        int pos = youngCount == young.length ? youngCount - 1 : youngCount;
        while (pos > 0 && stamp[young[pos - 1]] < stamp[slot]) {
            young[pos] = young[pos - 1];
            pos--;
        }
        young[pos] = slot;
        if (youngCount < young.length) youngCount++;
    }

    private int indexInYoung(int slot) {
        for (int i = 0; i < youngCount; i++) if (young[i] == slot) return i;
        return -1;
    }

    /** The youngest entries as they would be sent now, youngest first. */
    WireEntry[] youngest(long now) {
        WireEntry[] out = new WireEntry[youngCount];
        for (int i = 0; i < youngCount; i++) {
            int s = young[i];
            out[i] = entry(s, now);
        }
        return out;
    }

    /** Drops an entry entirely (forgotten). */
    void remove(int slot) {
        if (!has(slot)) return;
        int pos = positionInPresent[slot];
        int last = present[--presentCount];
        present[pos] = last;
        positionInPresent[last] = pos;
        stamp[slot] = ABSENT;
        info[slot] = null;
        left[slot] = false;
        proof[slot] = null;
        if (indexInYoung(slot) >= 0) {
            // The window lost a member; the next youngest may be any other entry. Removal is
            // rare (forgetting), so rebuild the window from the whole board.
            youngCount = 0;
            for (int i = 0; i < presentCount; i++) promote(present[i]);
        }
    }

    private void ensure(int slot) {
        if (slot < stamp.length) return;
        int n = Math.max(slot + 1, Math.max(16, stamp.length * 2));
        int old = stamp.length;
        stamp = Arrays.copyOf(stamp, n);
        Arrays.fill(stamp, old, n, ABSENT);
        info = Arrays.copyOf(info, n);
        left = Arrays.copyOf(left, n);
        proof = Arrays.copyOf(proof, n);
        positionInPresent = Arrays.copyOf(positionInPresent, n);
    }
}
