package dev.strait.operator.config;

import dev.strait.api.v1alpha1.TunnelConfig;

/** The outcome of checking one tunnel: rendered into the gateway config, or refused with a reason. */
public sealed interface Verdict {
    /**
     * The tunnel as the gateway will read it, PSK inline. files: extra keys of the config Secret (certificate, key, CA
     * PEM), mounted next to gateway.yaml, which certFile/keyFile/caFile point at. Never log it.
     */
    record Accepted(TunnelConfig config, java.util.Map<String, String> files) implements Verdict {
        public Accepted {
            files = java.util.Map.copyOf(files);
        }

        public Accepted(TunnelConfig config) {
            this(config, java.util.Map.of());
        }

        @Override
        public String toString() {
            return "Accepted[" + config.name + "]";
        }
    }

    /** The message names the offending field and never contains secret material. */
    record Refused(Reason reason, String message) implements Verdict {
    }
}
