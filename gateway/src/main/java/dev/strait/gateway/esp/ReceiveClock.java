package dev.strait.gateway.esp;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A coarse clock for per-packet liveness stamps: the receive loop reads System.nanoTime once per receive batch (up to
 * 32 datagrams) and publishes it here; {@link EspCounters#inbound} copies it instead of reading the clock per packet
 * (that read cost ~4% of the receive thread). So a stamp is late by at most the time to process one batch.
 */
public final class ReceiveClock {
    private static final VarHandle NOW;
    @SuppressWarnings("unused") // accessed through NOW
    private static long now;

    static {
        try {
            NOW = MethodHandles.lookup().findStaticVarHandle(ReceiveClock.class, "now", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private ReceiveClock() {
    }

    /** Called by a receive loop right after a batch arrived. */
    public static void tick() {
        NOW.setOpaque(System.nanoTime());
    }

    /** The last tick, or the real clock when no receive loop has ticked yet (tests that feed packets directly). */
    static long nanos() {
        long t = (long) NOW.getOpaque();
        return t != 0 ? t : System.nanoTime();
    }
}
