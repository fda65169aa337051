package dev.strait.gateway.datapath.packet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.strait.api.net.Cidr;
import dev.strait.gateway.linux.NetNs;
import dev.strait.gateway.linux.RtNetlink;
import dev.strait.gateway.linux.TunDevice;
import dev.strait.gateway.testing.Privileged;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Runs the TUN and rtnetlink code inside a namespace of its own (dp-t-PID). */
@Privileged
class TunDeviceTest {
    private static final String NS = NetNs.perRun("dp-t");

    @BeforeAll
    static void namespace() {
        assumeTrue(NetNs.usable(), "needs /dev/net/tun and iproute2");
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
            TunDevice tun = TunDevice.open("dpt0", false);
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
    void offloadTunDeliversVnetHeadersAndAcceptsGroSuperPackets() throws Exception {
        record Opened(TunDevice tun, RtNetlink nl) {
        }
        Opened o = NetNs.inside(NS, () -> {
            TunDevice tun = TunDevice.open("dpt1", true);
            RtNetlink nl = RtNetlink.open();
            nl.setLinkUp(tun.ifIndex(), 1400);
            nl.addRoute(tun.ifIndex(), Cidr.parse("10.10.0.0/24"));
            return new Opened(tun, nl);
        });
        try {
            assertTrue(o.tun.vnetHdr());
            int want = TunDevice.TUN_F_CSUM | TunDevice.TUN_F_TSO4 | TunDevice.TUN_F_TSO6;
            assertEquals(want, o.tun.offloads() & want, "kernel granted checksum and TSO offloads");
            NetNs.mustSh("ip", "-n", NS, "addr", "add", "10.20.0.2/24", "dev", "dpt1");
            NetNs.mustSh("ip", "-n", NS, "link", "set", "dpt1", "up");

            // Segments of one flow to 10.20.0.2:5201 (nobody listens) merged into one GSO TCPv4 write...
            byte[] payload = new byte[8000];
            byte[] sp = GsoSegmenterTest.tcpSuperPacket(4, payload.length, 1000, 0x10 | 0x08, payload);
            GsoSegmenter g = new GsoSegmenter();
            int count = g.begin(sp, 0, sp.length);
            int[] writes = new int[1];
            TcpCoalescer gro = new TcpCoalescer((b, off, len) -> {
                writes[0]++;
                assertEquals(TunDevice.VNET_GSO_TCPV4, b[off + 1], "written as a super-packet");
                return o.tun.writeWithHeader(b, off, len);
            });
            byte[] seg = new byte[2000 + TunDevice.HEADROOM];
            for (int i = 0; i < count; i++) {
                int n = GsoSegmenterTest.segmentCopy(g, sp, i, seg, TunDevice.HEADROOM);
                assertEquals(0, gro.offer(seg, TunDevice.HEADROOM, n), "kernel accepted the write");
            }
            assertEquals(0, gro.flush());
            assertEquals(1, writes[0]);

            // ...is parsed by the kernel's stack, which answers with a RST (a read with a virtio_net_hdr).
            byte[] buf = new byte[70000];
            boolean rst = false;
            for (int i = 0; i < 50 && !rst; i++) {
                o.tun.awaitReadable(100);
                int n = o.tun.read(buf, 0, buf.length);
                int ip = TunDevice.HEADROOM;
                rst = n >= ip + 40 && buf[ip] == 0x45 && buf[ip + 9] == 6 && (buf[ip + 33] & 0x04) != 0
                        && buf[ip + 12] == 10 && buf[ip + 13] == 20;
            }
            assertTrue(rst, "RST from 10.20.0.2 for the merged segments");
            assertThrows(IllegalArgumentException.class, () -> o.tun.write(buf, 0, 40), "needs headroom");
        } finally {
            o.tun.close();
            o.nl.close();
        }
    }
}
