package dev.strait.gateway.datapath.sa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.strait.api.net.Cidr;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PrefixTrieTest {
    private final int[] path = new int[PrefixTrie.MAX_DEPTH];

    private static Prefix p(String cidr) {
        return Prefix.of(Cidr.parse(cidr));
    }

    private static byte[] addr(String a) throws Exception {
        return InetAddress.getByName(a).getAddress();
    }

    /** All values along the path, longest prefix first. */
    private List<String> lookup(PrefixTrie<String> trie, String address) throws Exception {
        byte[] a = addr(address);
        List<String> out = new ArrayList<>();
        for (int i = trie.match(a, 0, a.length, path) - 1; i >= 0; i--) {
            for (int j = 0; j < trie.size(path[i]); j++) {
                out.add(trie.value(path[i], j));
            }
        }
        return out;
    }

    @Test
    void longestPrefixFirstThenShorterOnesInTheOrderAdded() throws Exception {
        PrefixTrie<String> trie = PrefixTrie.<String>builder()
                .add(p("10.0.0.0/8"), "eight")
                .add(p("10.1.0.0/16"), "sixteen")
                .add(p("10.1.2.0/24"), "twenty-four")
                .add(p("10.1.2.0/24"), "twenty-four again")
                .add(p("0.0.0.0/0"), "default")
                .add(p("10.1.2.3/32"), "host")
                .build();
        assertEquals(List.of("host", "twenty-four", "twenty-four again", "sixteen", "eight", "default"),
                lookup(trie, "10.1.2.3"));
        assertEquals(List.of("twenty-four", "twenty-four again", "sixteen", "eight", "default"),
                lookup(trie, "10.1.2.4"));
        assertEquals(List.of("sixteen", "eight", "default"), lookup(trie, "10.1.3.1"));
        assertEquals(List.of("eight", "default"), lookup(trie, "10.200.0.1"));
        assertEquals(List.of("default"), lookup(trie, "192.168.0.1"));
        assertEquals(List.of(), lookup(trie, "::1"), "IPv4 prefixes never match IPv6 addresses");
    }

    @Test
    void prefixesNotOnByteBoundariesAndIpv6() throws Exception {
        PrefixTrie<String> trie = PrefixTrie.<String>builder()
                .add(p("10.20.128.0/17"), "upper half")
                .add(p("10.20.0.0/17"), "lower half")
                .add(p("fd00:1::/48"), "v6")
                .add(p("fd00:1:0:8000::/49"), "v6 upper")
                .build();
        assertEquals(List.of("upper half"), lookup(trie, "10.20.200.1"));
        assertEquals(List.of("lower half"), lookup(trie, "10.20.127.255"));
        assertEquals(List.of(), lookup(trie, "10.21.0.1"));
        assertEquals(List.of("v6"), lookup(trie, "fd00:1::5"));
        assertEquals(List.of("v6 upper", "v6"), lookup(trie, "fd00:1:0:8001::5"));
        assertEquals(List.of(), lookup(trie, "fd00:2::5"));
    }

    @Test
    void emptyTrieMatchesNothing() throws Exception {
        PrefixTrie<String> trie = PrefixTrie.<String>builder().build();
        assertEquals(List.of(), lookup(trie, "10.0.0.1"));
        assertEquals(List.of(), lookup(trie, "fd00::1"));
    }

    /** Many tunnels: the trie agrees with a scan of every prefix for random addresses. */
    @Test
    void agreesWithALinearScanOverManyPrefixes() throws Exception {
        Random r = new Random(16);
        List<Prefix> prefixes = new ArrayList<>();
        PrefixTrie.Builder<String> b = PrefixTrie.builder();
        for (int i = 0; i < 500; i++) {
            int len = 8 + r.nextInt(25);
            byte[] a = new byte[4];
            a[0] = 10;
            a[1] = (byte) r.nextInt(4);
            a[2] = (byte) r.nextInt(256);
            a[3] = (byte) r.nextInt(256);
            Prefix p = Prefix.of(new Cidr(InetAddress.getByAddress(a), len));
            prefixes.add(p);
            b.add(p, Integer.toString(i));
        }
        PrefixTrie<String> trie = b.build();
        for (int k = 0; k < 20_000; k++) {
            byte[] a = {10, (byte) r.nextInt(4), (byte) r.nextInt(256), (byte) r.nextInt(256)};
            String best = null;
            int bestLen = -1;
            for (int i = 0; i < prefixes.size(); i++) {
                Prefix p = prefixes.get(i);
                if (p.matches(a, 0, 4) && p.length() > bestLen) {
                    best = Integer.toString(i);
                    bestLen = p.length();
                }
            }
            int n = trie.match(a, 0, 4, path);
            String got = n == 0 ? null : trie.value(path[n - 1], 0);
            assertEquals(best, got, "address " + InetAddress.getByAddress(a));
            if (best == null) {
                assertNull(got);
            }
        }
    }
}
