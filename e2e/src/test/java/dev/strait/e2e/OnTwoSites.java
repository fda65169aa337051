package dev.strait.e2e;

import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.e2e.support.GatewayProcess;
import dev.strait.e2e.support.Sites;
import dev.strait.e2e.support.SitesExtension;
import java.time.Duration;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Base of the ITs on the two default sites: one {@link SitesExtension} brings them up per class and stops what each
 * test started when it ends. The classes run one after another in one JVM, so they share the extension instance.
 */
abstract class OnTwoSites {
    @RegisterExtension
    static final SitesExtension SITES = new SitesExtension();

    /** The sites, up from before the first test instance is made until the class is done. */
    final Sites s = SITES.sites();

    /** Our gateway at site A with config {@code c}, once its admin endpoint reports ready. */
    GatewayProcess gatewayA(GatewayConfig c) {
        return SITES.gateway(s.nsA(), s.transitA()).start(c).awaitReady(Duration.ofSeconds(30));
    }
}
