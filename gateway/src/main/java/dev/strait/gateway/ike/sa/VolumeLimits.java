package dev.strait.gateway.ike.sa;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Optional Child SA lifetimes in bytes and packets (esp.rekeyBytes / esp.rekeyPackets, like strongSwan's rekey_bytes
 * and rekey_packets), next to the time lifetime. Counted per direction: whichever direction of the Child SA passes
 * the limit first starts the rekey. 0 means no limit.
 */
record VolumeLimits(long bytes, long packets) {
    static final VolumeLimits NONE = new VolumeLimits(0, 0);

    VolumeLimits {
        if (bytes < 0 || packets < 0) {
            throw new IllegalArgumentException("volume limits must not be negative");
        }
    }

    static VolumeLimits of(Long bytes, Long packets) {
        return bytes == null && packets == null ? NONE : new VolumeLimits(bytes == null ? 0 : bytes, packets == null ? 0 : packets);
    }

    boolean any() {
        return bytes > 0 || packets > 0;
    }

    /** The thresholds of one new Child SA: soft jittered down by up to 10% (as the time lifetime), hard 10% above. */
    Thresholds forNewChild() {
        double f = 1.0 - Lifetimes.JITTER * ThreadLocalRandom.current().nextDouble();
        return new Thresholds((long) (bytes * f), (long) (bytes * Lifetimes.HARD_FACTOR),
                (long) (packets * f), (long) (packets * Lifetimes.HARD_FACTOR));
    }

    enum Verdict { WITHIN, REKEY, EXHAUSTED }

    record Thresholds(long softBytes, long hardBytes, long softPackets, long hardPackets) {
        /** bytes/packets: the larger of the two directions' counts. */
        Verdict check(long bytes, long packets) {
            if (hardBytes > 0 && bytes >= hardBytes || hardPackets > 0 && packets >= hardPackets) {
                return Verdict.EXHAUSTED;
            }
            if (softBytes > 0 && bytes >= softBytes || softPackets > 0 && packets >= softPackets) {
                return Verdict.REKEY;
            }
            return Verdict.WITHIN;
        }
    }
}
