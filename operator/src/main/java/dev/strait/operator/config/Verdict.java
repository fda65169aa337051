package dev.strait.operator.config;

import dev.strait.api.v1alpha1.TunnelConfig;

/** The outcome of checking one tunnel: rendered into the gateway config, or refused with a reason. */
public sealed interface Verdict {
    /** The tunnel as the gateway will read it, PSK inline. Never log it. */
    record Accepted(TunnelConfig config) implements Verdict {
        @Override
        public String toString() {
            return "Accepted[" + config.name + "]";
        }
    }

    /** The message names the offending field and never contains secret material. */
    record Refused(Reason reason, String message) implements Verdict {
    }
}
