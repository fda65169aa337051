package dev.strait.e2e;

import static dev.strait.e2e.support.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.api.v1alpha1.TunnelConfig;
import dev.strait.e2e.support.GatewayConfigs;
import dev.strait.e2e.support.GatewayProcess;
import dev.strait.e2e.support.KernelPeer;
import dev.strait.e2e.support.SwanctlConf;
import dev.strait.e2e.support.SwanctlConf.Role;
import dev.strait.e2e.support.SwanctlConf.StartAction;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Our userspace ESP against the Linux kernel's own ESP (strongSwan with kernel-netlink in a VM, e2e/bin/kernel-peer.sh):
 * extended sequence numbers (RFC 4303 §2.2.1, negotiated as ESN in the ESP proposal) with AES-GCM, AES-CBC +
 * HMAC-SHA-256 and ChaCha20-Poly1305, each carrying traffic through Child SA rekeys started by either side. The
 * namespace peers run kernel-libipsec, which refuses ESN, so this is the only real peer that checks our ESN.
 * With ESN the high 32 bits of the sequence number enter the ICV (and AES-GCM's AAD grows to 12 bytes), so a side
 * that got ESN wrong drops every packet from the first one on.
 */
@Timeout(240)
class KernelEspPeerIT extends OnTwoSites {
    private static final String PSK = "kernel-peer-test-psk-not-secret";
    private static final String REMOTE_NET = "10.242.%d.0/24";
    private static final String REMOTE_HOST = "10.242.%d.1";
    private static final List<String> ESP = List.of("aes256gcm16-esn", "aes256-sha256-esn", "chacha20poly1305-esn");

    private KernelPeer peer;

    @BeforeAll
    static void buildVm() {
        KernelPeer.build(SITES.sites());
    }

    @AfterEach
    void stopAll() {
        if (peer != null) {
            peer.close();
        }
        SITES.stopAll();
    }

    @Test
    void esnCarriesTrafficWithEveryCipherKindThroughRekeysFromBothSides() throws Exception {
        List<SwanctlConf> vm = new ArrayList<>();
        List<String> lans = new ArrayList<>();
        GatewayConfig c = GatewayConfigs.siteAToB(s, "esn-0", PSK);
        c.datapath.mode = "Userspace";
        c.tunnels.clear();
        for (int i = 0; i < ESP.size(); i++) {
            TunnelConfig t = GatewayConfigs.siteAToB(s, "esn-" + i, PSK).tunnels.getFirst();
            t.peer.address = KernelPeer.VM_ADDR;
            t.peer.id = "vm-" + i + ".test";
            t.local.id = "site-a-" + i + ".test";
            t.remote.subnets = new ArrayList<>(List.of(REMOTE_NET.formatted(i)));
            t.ike.proposals = new ArrayList<>(List.of("aes256gcm16-prfsha384-x25519"));
            t.esp.proposals = new ArrayList<>(List.of(ESP.get(i)));
            t.esp.rekeyAfter = i == 0 ? "20s" : "1h"; // tunnel 0: we rekey; tunnel 1: the kernel peer does
            c.tunnels.add(t);
            vm.add(SwanctlConf.builder().name("esn-" + i).child("esn-" + i + "-child").role(Role.RESPONDER)
                    .startAction(StartAction.NONE).local(KernelPeer.VM_ADDR, "vm-" + i + ".test")
                    .remote(s.transitA(), "site-a-" + i + ".test").psk(PSK).encap(true)
                    .ikeProposals("aes256gcm16-prfsha384-x25519").espProposals(ESP.get(i))
                    .childRekeyTime(i == 1 ? "25s" : null)
                    .localTs(REMOTE_NET.formatted(i)).remoteTs(s.lanSubnetA()).build());
            lans.add(REMOTE_HOST.formatted(i) + "/32");
        }
        peer = new KernelPeer(s, s.nsB()).start(vm, lans, s.nsA(), s.transitB());
        GatewayProcess gw = gatewayA(c);

        List<String> spis = new ArrayList<>();
        for (int i = 0; i < ESP.size(); i++) {
            JsonNode child = awaitChild(gw, i, Duration.ofSeconds(60));
            assertTrue(child.path("proposal").asText().endsWith("-esn"), "ESN negotiated: " + child);
            spis.add(child.path("spiIn").asText());
            pingThrough(i);
        }
        // The kernel holds every SA with ESN: `ip xfrm state` prints "esn" among each state's flags.
        String state = await(() -> {
            String st = peer.nextState(Duration.ofSeconds(10));
            return countStates(st) >= 2 * ESP.size() ? st : null;
        }, Duration.ofSeconds(20), "the kernel's SAs in its state dump");
        assertEquals(countStates(state), count(state, Pattern.compile("flag [^\\n]*\\besn\\b")),
                "every kernel SA carries the esn flag:\n" + state);

        // Tunnel 0 is rekeyed by us (20 s), tunnel 1 by the kernel peer (25 s): traffic flows on the new SAs.
        for (int i = 0; i <= 1; i++) {
            int n = i;
            String old = spis.get(n);
            await(() -> {
                JsonNode ch = gw.status().path("tunnels").path(n).path("children").path(0);
                return !ch.isMissingNode() && !old.equals(ch.path("spiIn").asText()) ? ch : null;
            }, Duration.ofSeconds(60), "tunnel esn-" + n + " rekeyed");
            JsonNode rekeyed = awaitChild(gw, n, Duration.ofSeconds(10));
            assertTrue(rekeyed.path("proposal").asText().endsWith("-esn"), "ESN after the rekey: " + rekeyed);
            pingThrough(n);
            String spi = rekeyed.path("spiIn").asText();
            String after = peer.nextState(Duration.ofSeconds(10));
            assertTrue(Pattern.compile("spi 0x0*" + spi.replaceFirst("^0+", "") + "\\b[^@]*?flag [^\\n]*\\besn\\b")
                    .matcher(after).find(), "the kernel's SA for our new inbound SPI " + spi + " has ESN:\n" + after);
        }
        assertEquals(0, gw.status().path("tunnels").path(0).path("children").path(0).path("drops").path("auth").asInt(),
                "no ESP failed authentication");
    }

    private void pingThrough(int i) {
        String dest = REMOTE_HOST.formatted(i);
        await(() -> s.ping(s.nsA(), s.lanA(), dest, 1) == 1 ? true : null, Duration.ofSeconds(20),
                "first ping through tunnel esn-" + i);
        assertEquals(10, s.ping(s.nsA(), s.lanA(), dest, 10), "pings through tunnel esn-" + i + " (" + ESP.get(i) + ")");
    }

    private static JsonNode awaitChild(GatewayProcess gw, int tunnel, Duration timeout) {
        return await(() -> {
            JsonNode t = gw.status().path("tunnels").path(tunnel);
            JsonNode ch = t.path("children").path(0);
            return "Established".equals(t.path("phase").asText()) && !ch.isMissingNode() ? ch : null;
        }, timeout, "a Child SA for tunnel " + tunnel);
    }

    private static int countStates(String xfrmDump) {
        return count(xfrmDump, Pattern.compile("(?m)^src \\S+ dst \\S+"));
    }

    private static int count(String s, Pattern p) {
        Matcher m = p.matcher(s);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }
}
