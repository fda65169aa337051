package dev.strait.e2e.support;

import static dev.strait.e2e.support.Await.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

/** Waits until strongSwan and our gateway hold the same single IKE SA and Child SA. */
public final class SaAgreement {
    private SaAgreement() {
    }

    /**
     * Waits until strongSwan has an established IKE SA with an installed Child SA, our tunnel is Established and a
     * ping crosses from LAN A to LAN B; returns strongSwan's view of the SA.
     */
    public static IkeSa up(Sites s, StrongSwan swan, GatewayProcess gw) {
        IkeSa sa = await(() -> swan.listSas().stream().filter(IkeSa::established)
                .filter(x -> x.children().stream().anyMatch(ChildSa::installed)).findFirst().orElse(null), "strongSwan has the SAs");
        await(() -> "Established".equals(gw.status().path("tunnels").path(0).path("phase").asText()) ? true : null, "our side Established");
        await(() -> s.ping(s.nsA(), s.lanA(), s.lanB(), 1) == 1 ? true : null, "traffic through the tunnel");
        return sa;
    }

    /**
     * strongSwan rekeys its IKE SA ({@code swanctl --rekey --ike site-b}) or else its Child SA ({@code --child lan-lan});
     * returns its view once both sides settled on the new SA ({@link #ikeRekeyed}, {@link #childRekeyed}).
     */
    public static IkeSa rekeyedByStrongSwan(StrongSwan swan, GatewayProcess gw, IkeSa before, boolean ike, Duration timeout) {
        swan.swanctl(timeout, "--rekey", ike ? "--ike" : "--child", ike ? "site-b" : "lan-lan").orThrow();
        return ike ? ikeRekeyed(swan, gw, before) : childRekeyed(swan, gw, before);
    }

    /** {@link #settled} with a Child SA other than {@code before}'s (strongSwan's inbound SPI changed). */
    public static IkeSa childRekeyed(StrongSwan swan, GatewayProcess gw, IkeSa before) {
        return settled(swan, gw, sa -> !before.children().getFirst().spiIn().equals(sa.children().getFirst().spiIn()));
    }

    /** {@link #settled} with an IKE SA other than {@code before} (the initiator SPI changed). */
    public static IkeSa ikeRekeyed(StrongSwan swan, GatewayProcess gw, IkeSa before) {
        return settled(swan, gw, sa -> !before.initiatorSpi().equals(sa.initiatorSpi()));
    }

    /**
     * Exactly one established IKE SA with exactly one installed Child SA on strongSwan's side, our /status agreeing on
     * the SPIs, no other IKE SA left on our side (a redundant or rekeyed one still waiting for its DELETE), and
     * changed true for that same listing (not a later one: a rekey between two listings must not pair the old SA's
     * SPIs with the new one's change). Returns strongSwan's view of it.
     */
    public static IkeSa settled(StrongSwan swan, GatewayProcess gw, Predicate<IkeSa> changed) {
        return await(() -> {
            List<IkeSa> sas = swan.listSas();
            if (sas.size() != 1 || !sas.getFirst().established() || sas.getFirst().children().size() != 1
                    || !sas.getFirst().children().getFirst().installed()) {
                return null;
            }
            IkeSa sa = sas.getFirst();
            JsonNode st = gw.status();
            JsonNode t = st.path("tunnels").path(0);
            JsonNode ours = t.path("children");
            boolean agree = ours.size() == 1 && sa.children().getFirst().spiIn().equals(ours.path(0).path("spiOut").asText())
                    && sa.children().getFirst().spiOut().equals(ours.path(0).path("spiIn").asText())
                    && sa.initiatorSpi().equals(t.path("ike").path("spiInitiator").asText())
                    && sa.responderSpi().equals(t.path("ike").path("spiResponder").asText())
                    && st.path("ikeSas").size() == 1 && st.path("ikeSas").path("ESTABLISHED").asInt() == 1;
            return agree && changed.test(sa) ? sa : null;
        }, "one IKE SA and one Child SA on both sides, agreeing");
    }
}
