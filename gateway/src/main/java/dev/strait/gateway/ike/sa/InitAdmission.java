package dev.strait.gateway.ike.sa;

import java.net.InetAddress;
import java.util.function.BooleanSupplier;

/**
 * Whether a new IKE_SA_INIT may create a half-open responder SA (RFC 7296 section 2.6, RFC 8019), before any key
 * exchange work:
 * <ul>
 *   <li>cookies are asked for from everyone above the global threshold, and from one source address once it holds
 *       {@link IkeEngine.DosLimits#cookieThresholdPerSource()} half-open SAs. Its limit is twice that, and only
 *       requests that echo a cookie (so whose sender sees our replies) get the second half: a blind spoofer using a
 *       peer's address fills the first half at most, and the real peer still gets in;</li>
 *   <li>SAs from a tunnel's configured peer address count against the per-source limit only; the global limit
 *       caps the pool shared by all other addresses, so a flood from strangers cannot take a configured peer's
 *       capacity.</li>
 * </ul>
 */
final class InitAdmission {
    enum Verdict { ADMIT, ASK_COOKIE, DROP }

    private final IkeEngine.DosLimits limits;
    private final HalfOpenTable table;

    InitAdmission(IkeEngine.DosLimits limits, HalfOpenTable table) {
        this.limits = limits;
        this.table = table;
    }

    /**
     * @param configuredPeer the source is some tunnel's configured peer address
     * @param validCookie    checks the request's COOKIE (called only when a cookie is needed: it costs an HMAC)
     */
    Verdict decide(InetAddress source, boolean configuredPeer, BooleanSupplier validCookie) {
        int fromSource = table.from(source);
        boolean cookieNeeded = table.total() >= limits.cookieThreshold() || fromSource >= limits.cookieThresholdPerSource();
        if (cookieNeeded && !validCookie.getAsBoolean()) {
            return Verdict.ASK_COOKIE;
        }
        if (fromSource >= limits.maxHalfOpenPerSource() || (!configuredPeer && table.shared() >= limits.maxHalfOpen())) {
            return Verdict.DROP;
        }
        return Verdict.ADMIT;
    }
}
