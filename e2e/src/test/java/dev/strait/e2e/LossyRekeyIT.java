package dev.strait.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.api.v1alpha1.TunnelSpec;
import dev.strait.e2e.support.ExecResult;
import dev.strait.e2e.support.GatewayConfigs;
import dev.strait.e2e.support.GatewayProcess;
import dev.strait.e2e.support.IkeSa;
import dev.strait.e2e.support.SaAgreement;
import dev.strait.e2e.support.StrongSwan;
import dev.strait.e2e.support.SwanctlConf;
import dev.strait.e2e.support.SwanctlConf.Role;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Rekeys started by strongSwan while exactly one of our CREATE_CHILD_SA responses is dropped (an iptables rule in our
 * namespace that fires once), under a ping at 20/s: strongSwan keeps the old SA until its retransmission gets the
 * answer, and we, the responder, keep sending on the old Child SA until strongSwan uses the new one or deletes the
 * old one (make-before-break as responder). At most one ping is lost.
 */
@Timeout(120)
class LossyRekeyIT extends OnTwoSites {
    private static final String PSK = "lossy-rekey-psk-not-secret";
    private static final String IKE = "aes256gcm16-prfsha384-ecp384";
    private static final String ESP = "aes256gcm16-ecp384";
    private static final int PINGS = 120; // 6 s at 20/s: the lost answer's retransmission (after 2 s) falls inside
    /**
     * Our IKE responses to CREATE_CHILD_SA (exchange type 36, flag R), from 4500 after the non-ESP marker or from 500;
     * statistic nth with packet 0 fires for the first matching packet only.
     */
    private static final List<List<String>> DROP_ONE_RESPONSE = List.of(
            List.of("-p", "udp", "--sport", "4500", "-m", "u32", "--u32",
                    "0>>22&0x3C@8=0 && 0>>22&0x3C@28>>8&0xFF=0x24 && 0>>22&0x3C@28&0x20=0x20"),
            List.of("-p", "udp", "--sport", "500", "-m", "u32", "--u32",
                    "0>>22&0x3C@24>>8&0xFF=0x24 && 0>>22&0x3C@24&0x20=0x20"));

    @AfterEach
    void removeDropRules() {
        s.exec(s.nsA(), "iptables", "-F", "OUTPUT");
    }

    private GatewayProcess gateway() {
        GatewayConfig c = GatewayConfigs.userspaceSiteAToB(s, PSK, IKE, TunnelSpec.Initiation.Start);
        c.tunnels.getFirst().esp.proposals = List.of(ESP);
        return gatewayA(c);
    }

    /** strongSwan retransmits after 2 s (default 4 s) to keep the test short; the gap we avoid does not depend on it. */
    private StrongSwan strongSwan() {
        return SITES.strongSwan(s.nsB()).start(SwanctlConf.siteB(s, Role.RESPONDER).psk(PSK).ikeProposals(IKE)
                .espProposals(ESP).build(), "charon {\n  retransmit_timeout = 2.0\n}\n");
    }

    private IkeSa up(StrongSwan swan, GatewayProcess gw) {
        IkeSa sa = SaAgreement.up(s, swan, gw);
        for (List<String> match : DROP_ONE_RESPONSE) {
            List<String> cmd = new java.util.ArrayList<>(List.of("iptables", "-A", "OUTPUT"));
            cmd.addAll(match);
            cmd.addAll(List.of("-m", "statistic", "--mode", "nth", "--every", "1000000", "--packet", "0", "-j", "DROP"));
            s.exec(s.nsA(), cmd.toArray(String[]::new)).orThrow();
        }
        return sa;
    }

    /** Packets the one-shot DROP rules dropped. */
    private int droppedResponses() {
        ExecResult r = s.exec(s.nsA(), "iptables", "-L", "OUTPUT", "-v", "-x", "-n").orThrow();
        Matcher m = Pattern.compile("(?m)^\\s*(\\d+)\\s+\\d+\\s+DROP").matcher(r.stdout());
        int n = 0;
        while (m.find()) {
            n += Integer.parseInt(m.group(1));
        }
        return n;
    }

    private CompletableFuture<Integer> pingInBackground() {
        return CompletableFuture.supplyAsync(() -> s.ping(s.nsA(), s.lanA(), s.lanB(), PINGS, 0.05));
    }

    /** strongSwan, our gateway and the SA before and after strongSwan's rekey. */
    private record Rekey(StrongSwan swan, GatewayProcess gw, IkeSa before, IkeSa after) {
    }

    /**
     * Brings the tunnel up, arms the one-shot drop of our CREATE_CHILD_SA response and has strongSwan rekey the IKE SA
     * or the Child SA 1 s into the pings: exactly that response dropped, at most one ping lost.
     */
    private Rekey rekeyWithOurResponseLost(boolean ike) throws Exception {
        StrongSwan swan = strongSwan();
        GatewayProcess gw = gateway();
        IkeSa before = up(swan, gw);
        CompletableFuture<Integer> ping = pingInBackground();
        Thread.sleep(1000);
        IkeSa after = SaAgreement.rekeyedByStrongSwan(swan, gw, before, ike, Duration.ofSeconds(30));
        int got = ping.get();
        assertEquals(1, droppedResponses(), "exactly one of our CREATE_CHILD_SA responses was dropped");
        System.out.printf("[LossyRekeyIT] %s rekey, one response lost: %d of %d pings lost%n", ike ? "IKE" : "Child",
                PINGS - got, PINGS);
        assertTrue(got >= PINGS - 1, "at most one lost packet, got " + got + "/" + PINGS);
        return new Rekey(swan, gw, before, after);
    }

    @Test
    void childRekeyWithOurResponseLost() throws Exception {
        Rekey r = rekeyWithOurResponseLost(false);
        assertEquals(r.before().initiatorSpi(), r.after().initiatorSpi(), "a Child rekey keeps the IKE SA");
        assertEquals(1, s.ping(s.nsA(), s.lanA(), s.lanB(), 1), "traffic on the new SA");
    }

    @Test
    void ikeRekeyWithOurResponseLost() throws Exception {
        Rekey r = rekeyWithOurResponseLost(true);
        assertEquals(r.before().children().getFirst().spiIn(), r.after().children().getFirst().spiIn(), "the Child SA moved along");
        // The new IKE SA works: a Child rekey over it (our answer arrives this time).
        SaAgreement.rekeyedByStrongSwan(r.swan(), r.gw(), r.after(), false, Duration.ofSeconds(20));
        assertEquals(1, s.ping(s.nsA(), s.lanA(), s.lanB(), 1));
    }
}
