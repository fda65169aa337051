package dev.strait.bench.datapath;

import dev.strait.api.net.Cidr;
import dev.strait.gateway.datapath.sa.ChildSa;
import dev.strait.gateway.datapath.sa.Prefix;
import dev.strait.gateway.datapath.sa.PrefixTrie;
import dev.strait.gateway.datapath.sa.SaTables;
import dev.strait.gateway.datapath.sa.Tunnel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The outbound SA lookup of one IPv4 packet with N tunnels (one SA each, local 10.0.0.0/16, remote 172.16.i.0/24),
 * the destinations cycling over all tunnels: {@code linearScan} is the per-packet scan the datapath did before
 * (every SA's selectors in turn), {@code saTables} is what it does now, {@link SaTables#outbound}: a scan of the
 * selectors sorted longest first for up to 8 of them, a walk of a prefix trie on the destination beyond that.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class OutboundLookupBenchmark {
    @Param({"1", "10", "100"})
    public int tunnels;

    private ChildSa[] linear;
    private SaTables tables;
    private byte[][] packets;
    private final int[] path = new int[PrefixTrie.MAX_DEPTH];
    private int next;

    @Setup
    public void setup() {
        Map<Integer, ChildSa> bySpi = new HashMap<>();
        List<ChildSa> newestFirst = new ArrayList<>();
        List<Tunnel> list = new ArrayList<>();
        packets = new byte[tunnels][];
        for (int i = 0; i < tunnels; i++) {
            Tunnel t = new Tunnel("t" + i);
            Prefix[] local = Prefix.of(List.of(Cidr.parse("10.0.0.0/16")));
            Prefix[] remote = Prefix.of(List.of(Cidr.parse("172.16." + i + ".0/24")));
            t.configure(local, remote, false);
            ChildSa sa = new ChildSa(null, t, null, null, null, local, remote, null, new AtomicBoolean());
            bySpi.put(i + 1, sa);
            newestFirst.add(0, sa);
            list.add(t);
            byte[] p = new byte[20];
            p[0] = 0x45;
            p[12] = 10;
            p[14] = 1;
            p[15] = 2;
            p[16] = (byte) 172;
            p[17] = 16;
            p[18] = (byte) i;
            p[19] = 9;
            packets[i] = p;
        }
        linear = newestFirst.toArray(ChildSa[]::new);
        tables = SaTables.of(bySpi, newestFirst, list);
    }

    private byte[] nextPacket() {
        byte[] p = packets[next];
        next = next + 1 == packets.length ? 0 : next + 1;
        return p;
    }

    @Benchmark
    public ChildSa linearScan() {
        byte[] p = nextPacket();
        for (ChildSa s : linear) {
            if (Prefix.any(s.local(), p, 12, 4) && Prefix.any(s.remote(), p, 16, 4)) {
                return s;
            }
        }
        return null;
    }

    @Benchmark
    public ChildSa saTables() {
        return tables.outbound(nextPacket(), 12, 16, 4, path);
    }
}
