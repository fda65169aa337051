package dev.strait.gateway.datapath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.strait.gateway.config.Cidr;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Needs root: runs the TUN and rtnetlink code inside a namespace of its own (dp-t1). */
class TunDeviceTest {
    private static final String NS = "dp-t1";

    @BeforeAll
    static void namespace() {
        assumeTrue(NetNs.usable(), "needs root, /dev/net/tun and iproute2");
        NetNs.create(NS);
    }

    @AfterAll
    static void cleanup() {
        NetNs.delete(NS);
    }

    @Test
    void createsDeviceWithMtuAndRoutesAndRemovesThemOnClose() throws Exception {
        Cidr v4 = Cidr.parse("10.99.0.0/24");
        Cidr v6 = Cidr.parse("fd00:99::/64");
        record Opened(TunDevice tun, RtNetlink nl) {
        }
        Opened o = NetNs.inside(NS, () -> {
            TunDevice tun = TunDevice.open("dpt0");
            RtNetlink nl = RtNetlink.open();
            nl.setLinkUp(tun.ifIndex(), 1380);
            nl.addRoute(tun.ifIndex(), v4);
            nl.addRoute(tun.ifIndex(), v6);
            nl.addRoute(tun.ifIndex(), v4); // idempotent: replace
            return new Opened(tun, nl);
        });
        try {
            String link = NetNs.sh("ip", "-n", NS, "-d", "link", "show", "dpt0").output();
            assertTrue(link.contains("mtu 1380"), link);
            assertTrue(link.contains("tun type tun"), link);
            assertTrue(link.contains(",UP"), link);
            assertTrue(NetNs.sh("ip", "-n", NS, "route", "show").output().contains("10.99.0.0/24 dev dpt0"));
            assertTrue(NetNs.sh("ip", "-n", NS, "-6", "route", "show").output().contains("fd00:99::/64 dev dpt0"));

            // A datagram routed into the TUN comes out of read() as a bare IPv4 packet (IFF_NO_PI).
            NetNs.inside(NS, () -> {
                try (DatagramChannel ch = DatagramChannel.open()) {
                    ch.send(ByteBuffer.wrap("hello".getBytes()), new InetSocketAddress("10.99.0.5", 9));
                }
                return null;
            });
            byte[] buf = new byte[2000];
            int n = 0;
            // The kernel may queue IPv6 router solicitations / MLD reports too: skip those.
            for (int i = 0; i < 50 && (n <= 0 || (buf[0] & 0xf0) != 0x40); i++) {
                o.tun.awaitReadable(100);
                n = o.tun.read(buf, 0, buf.length);
            }
            assertEquals(20 + 8 + 5, n);
            assertEquals(0x45, buf[0] & 0xff);
            assertEquals(10, buf[16]);
            assertEquals(99, buf[17]);
            assertEquals(5, buf[19]);
            while (o.tun.read(buf, 0, buf.length) > 0) {
                assertEquals(0x60, buf[0] & 0xf0, "only IPv6 housekeeping left");
            }
            assertEquals(0, o.tun.read(buf, 0, buf.length), "non-blocking: nothing more queued");

            IOException e = assertThrows(IOException.class, () -> o.nl.addRoute(999_999, v4));
            assertTrue(e.getMessage().contains("No such device"), e.getMessage());

            o.nl.deleteRoute(o.tun.ifIndex(), v4);
            o.nl.deleteRoute(o.tun.ifIndex(), v6);
            assertFalse(NetNs.sh("ip", "-n", NS, "route", "show").output().contains("10.99.0.0/24"));
            IOException gone = assertThrows(IOException.class, () -> o.nl.deleteRoute(o.tun.ifIndex(), v4));
            assertTrue(gone.getMessage().contains("delete route 10.99.0.0/24"), gone.getMessage());
        } finally {
            o.tun.close();
            o.nl.close();
        }
        assertTrue(NetNs.sh("ip", "-n", NS, "link", "show", "dpt0").exit() != 0, "device gone after close");
    }

    @Test
    void refusesBadNames() {
        assertThrows(IllegalArgumentException.class, () -> TunDevice.open("this-name-is-too-long"));
        assertThrows(IllegalArgumentException.class, () -> TunDevice.open("a b"));
    }
}
