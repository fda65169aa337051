package dev.strait.gateway;

import dev.strait.api.v1alpha1.GatewayConfig;
import java.nio.file.Path;

/** Wires config, IKE engine, datapath and admin HTTP together. */
final class Daemon {
    private Daemon() {
    }

    static int run(Path configFile, GatewayConfig config) throws InterruptedException {
        throw new UnsupportedOperationException("daemon wiring lands with the IKE engine");
    }
}
