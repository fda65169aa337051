package dev.strait.gateway.datapath.sa;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.strait.api.net.Cidr;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The outbound and tunnel lookups the TUN reader does per packet. */
class SaTablesTest {
    private final int[] path = new int[PrefixTrie.MAX_DEPTH];
    private final Tunnel tunnel = new Tunnel("t");

    private ChildSa sa(String local, String remote, boolean held) {
        return new ChildSa(null, tunnel, null, null, null, Prefix.of(List.of(Cidr.parse(local))),
                Prefix.of(List.of(Cidr.parse(remote))), null, new AtomicBoolean(held));
    }

    /**
     * The same SAs with 20 unrelated ones behind them (other destinations, oldest): enough selectors that the
     * lookup walks the trie instead of scanning.
     */
    private List<ChildSa> padded(List<ChildSa> sas) {
        List<ChildSa> out = new ArrayList<>(sas);
        for (int i = 0; i < 20; i++) {
            out.add(sa("10.0.0.0/16", "192.168." + i + ".0/24", false));
        }
        return out;
    }

    private static SaTables tables(List<ChildSa> newestFirst, List<Tunnel> tunnels) {
        Map<Integer, ChildSa> bySpi = new HashMap<>();
        for (int i = 0; i < newestFirst.size(); i++) {
            bySpi.put(i + 1, newestFirst.get(i));
        }
        return SaTables.of(bySpi, newestFirst, tunnels);
    }

    /** An IPv4 header's addresses: source at 12, destination at 16. */
    private static byte[] packet(String src, String dst) throws Exception {
        byte[] p = new byte[20];
        System.arraycopy(InetAddress.getByName(src).getAddress(), 0, p, 12, 4);
        System.arraycopy(InetAddress.getByName(dst).getAddress(), 0, p, 16, 4);
        return p;
    }

    private ChildSa out(SaTables t, String src, String dst) throws Exception {
        return t.outbound(packet(src, dst), 12, 16, 4, path);
    }

    @Test
    void longestRemoteSelectorWinsAndTheSourceMustMatchToo() throws Exception {
        ChildSa wide = sa("10.0.0.0/16", "172.16.0.0/12", false);
        ChildSa narrow = sa("10.0.1.0/24", "172.16.5.0/24", false);
        for (SaTables t : List.of(tables(List.of(wide, narrow), List.of()),
                tables(padded(List.of(wide, narrow)), List.of()))) {
            longestThenSource(t, wide, narrow);
        }
    }

    private void longestThenSource(SaTables t, ChildSa wide, ChildSa narrow) throws Exception {
        assertSame(narrow, out(t, "10.0.1.9", "172.16.5.1"));
        // The narrow SA's local selector does not hold the source: the next shorter prefix is tried.
        assertSame(wide, out(t, "10.0.2.9", "172.16.5.1"));
        assertSame(wide, out(t, "10.0.1.9", "172.17.0.1"));
        assertNull(out(t, "10.1.0.1", "172.16.5.1"));
        assertNull(out(t, "10.0.1.9", "203.0.113.1"));
    }

    @Test
    void newestFirstAndHeldOnlyWhenNothingElseMatches() throws Exception {
        ChildSa old = sa("10.0.0.0/16", "172.16.0.0/24", false);
        ChildSa newer = sa("10.0.0.0/16", "172.16.0.0/24", false);
        ChildSa held = sa("10.0.0.0/16", "172.16.0.0/25", true);
        // The held SA has the longer selector but waits while another SA can send.
        assertSame(newer, out(tables(List.of(held, newer, old), List.of()), "10.0.0.1", "172.16.0.1"));
        assertSame(newer, out(tables(padded(List.of(held, newer, old)), List.of()), "10.0.0.1", "172.16.0.1"));
        assertSame(held, out(tables(List.of(held), List.of()), "10.0.0.1", "172.16.0.1"));
        held.held().set(false);
        assertSame(held, out(tables(List.of(held, newer, old), List.of()), "10.0.0.1", "172.16.0.1"),
                "released: its longer selector wins");
        assertSame(held, out(tables(padded(List.of(held, newer, old)), List.of()), "10.0.0.1", "172.16.0.1"));
        assertSame(old, out(tables(padded(List.of(old, newer)), List.of()), "10.0.0.1", "172.16.0.1"),
                "equal selectors: the first given (newest) wins");
    }

    @Test
    void manyTunnelsEachFindTheirOwnSa() throws Exception {
        List<ChildSa> sas = new ArrayList<>();
        List<Tunnel> tunnels = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            Tunnel ti = new Tunnel("t" + i);
            ti.configure(Prefix.of(List.of(Cidr.parse("10.0.0.0/16"))),
                    Prefix.of(List.of(Cidr.parse("172.16." + i + ".0/24"))), false);
            tunnels.add(ti);
            sas.add(new ChildSa(null, ti, null, null, null, ti.local(), ti.remote(), null, new AtomicBoolean()));
        }
        SaTables t = tables(sas, tunnels);
        for (int i = 0; i < 100; i++) {
            assertSame(sas.get(i), out(t, "10.0.3.4", "172.16." + i + ".77"));
            assertSame(tunnels.get(i), t.tunnelFor(packet("10.0.3.4", "172.16." + i + ".77"), 16, 4, path));
        }
        assertNull(out(t, "10.0.3.4", "172.16.100.1"));
        assertNull(t.tunnelFor(packet("10.0.3.4", "172.16.100.1"), 16, 4, path));
    }

    @Test
    void tunnelForTakesTheLongestRemoteSubnetThenTheFirstAdded() throws Exception {
        Tunnel a = new Tunnel("a");
        a.configure(new Prefix[0], Prefix.of(List.of(Cidr.parse("172.16.0.0/12"))), true);
        Tunnel b = new Tunnel("b");
        b.configure(new Prefix[0], Prefix.of(List.of(Cidr.parse("172.16.5.0/24"))), true);
        Tunnel c = new Tunnel("c");
        c.configure(new Prefix[0], Prefix.of(List.of(Cidr.parse("172.16.0.0/12"))), true);
        SaTables t = tables(List.of(), List.of(a, b, c));
        assertSame(b, t.tunnelFor(packet("10.0.0.1", "172.16.5.5"), 16, 4, path));
        assertSame(a, t.tunnelFor(packet("10.0.0.1", "172.17.5.5"), 16, 4, path));
        assertNull(t.tunnelFor(packet("10.0.0.1", "10.0.0.2"), 16, 4, path));
    }
}
