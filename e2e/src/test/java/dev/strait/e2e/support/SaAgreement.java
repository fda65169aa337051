package dev.strait.e2e.support;

import static dev.strait.e2e.support.Await.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.function.Predicate;

/** Waits until strongSwan and our gateway hold the same single IKE SA and Child SA. */
public final class SaAgreement {
    private SaAgreement() {
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
