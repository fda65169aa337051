package dev.strait.e2e.support;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

/**
 * A tiny UDP sender that runs inside a namespace ({@code ip netns exec NS java -cp ... UdpSender ...}), for
 * crafted or garbage datagrams that no peer would send:
 * <pre>
 *   UdpSender HOST PORT hex HEX...                   each HEX is one datagram, 50 ms apart
 *   UdpSender HOST PORT random SECONDS SEED          random 8..1400-byte datagrams for SECONDS
 * </pre>
 * Prints how many datagrams it sent.
 */
public final class UdpSender {
    private UdpSender() {
    }

    public static void main(String[] args) throws Exception {
        InetSocketAddress to = new InetSocketAddress(args[0], Integer.parseInt(args[1]));
        long sent = 0;
        try (DatagramChannel ch = DatagramChannel.open()) {
            if (args[2].equals("hex")) {
                for (String hex : List.of(args).subList(3, args.length)) {
                    ch.send(ByteBuffer.wrap(HexFormat.of().parseHex(hex)), to);
                    sent++;
                    Thread.sleep(50);
                }
            } else if (args[2].equals("random")) {
                long end = System.nanoTime() + Long.parseLong(args[3]) * 1_000_000_000L;
                Random r = new Random(Long.parseLong(args[4]));
                byte[] buf = new byte[1400];
                while (System.nanoTime() < end) {
                    r.nextBytes(buf);
                    ch.send(ByteBuffer.wrap(buf, 0, 8 + r.nextInt(buf.length - 8)), to);
                    if (++sent % 64 == 0) {
                        Thread.sleep(1); // a steady stream, not a flood that starves the machine
                    }
                }
            } else {
                throw new IllegalArgumentException("mode must be hex or random, not " + args[2]);
            }
        }
        System.out.println("sent " + sent);
    }

    /** Command line that runs this sender in {@code ns} with the test JVM's class path. */
    public static List<String> command(String ns, String host, int port, String... rest) {
        String java = ProcessHandle.current().info().command().orElse("java");
        var cmd = new java.util.ArrayList<>(List.of("ip", "netns", "exec", ns, java, "-cp",
                System.getProperty("java.class.path"), UdpSender.class.getName(), host, Integer.toString(port)));
        cmd.addAll(List.of(rest));
        return cmd;
    }
}
