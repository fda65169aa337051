package dev.strait.e2e.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * strongSwan with the Linux kernel's ESP (XFRM), in a small VM (e2e/bin/kernel-peer.sh) whose NIC is the tap
 * {@code kpeer0} inside one of the {@link Sites} namespaces. The namespace routes between its transit link and the
 * VM, so the other site reaches the VM's address as it would reach a remote gateway.
 */
public final class KernelPeer extends SiteProcess implements AutoCloseable {
    /** The VM's NIC address, its gateway (the namespace's end of the tap) and the prefix between them. */
    public static final String VM_ADDR = "10.241.0.2";
    private static final String HOST_ADDR = "10.241.0.1";
    private static final String LINK_NET = "10.241.0.0/24";

    private String routedFrom;

    public KernelPeer(Sites sites, String ns) {
        super(sites, ns, "kernel-peer", "kernel-peer.sh");
    }

    /** Builds the VM image if needed (cached under ~/.cache; the first build fetches Debian's cloud kernel). */
    public static void build(Sites sites) {
        Commands.run(Duration.ofMinutes(5), List.of(sites.script("kernel-peer.sh").toString(), "build")).orThrow();
    }

    /**
     * Boots the VM with {@code connections} as its swanctl.conf and {@code lanAddrs} (host routes, e.g.
     * 10.242.0.1/32) on its loopback as the traffic selectors' hosts; {@code otherSiteNs} gets a route to the VM.
     */
    public KernelPeer start(List<SwanctlConf> connections, List<String> lanAddrs, String otherSiteNs, String viaAddr) {
        try {
            Files.createDirectories(dir);
            writePrivate(dir.resolve("swanctl.conf"), String.join("", connections.stream().map(SwanctlConf::render).toList()));
            Files.writeString(dir.resolve("net.conf"), "VM_ADDR=" + VM_ADDR + "/24\nVM_GW=" + HOST_ADDR
                    + "\nVM_LAN=\"" + String.join(" ", lanAddrs) + "\"\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        startScript(Duration.ofMinutes(5), Map.of(), ns, dir.toString());
        sites.exec(ns, "ip", "addr", "replace", HOST_ADDR + "/24", "dev", "kpeer0").orThrow();
        sites.exec(ns, "ip", "link", "set", "kpeer0", "up").orThrow();
        sites.exec(ns, "sysctl", "-qw", "net.ipv4.ip_forward=1").orThrow();
        sites.exec(otherSiteNs, "ip", "route", "replace", LINK_NET, "via", viaAddr).orThrow();
        routedFrom = otherSiteNs;
        return this;
    }

    /** The VM's console: kernel messages, charon's log and the periodic state blocks. */
    public Path consoleLog() {
        return dir.resolve("console.log");
    }

    /**
     * The newest complete state block the VM printed ({@code ip -s xfrm state} then {@code swanctl --list-sas}),
     * or "" before the first; it is printed every 2 s.
     */
    public String state() {
        String log;
        try {
            log = Files.readString(consoleLog(), java.nio.charset.StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return "";
        }
        int end = log.lastIndexOf("@@END");
        int start = end < 0 ? -1 : log.lastIndexOf("@@STATE", end);
        return start < 0 ? "" : log.substring(start, end);
    }

    /** The state block printed after the one that is newest now: a view taken after this call. */
    public String nextState(Duration timeout) {
        String now = state();
        return Await.await(() -> {
            String s = state();
            return s.equals(now) || s.isEmpty() ? null : s;
        }, timeout, "the kernel peer's next state block");
    }

    public void stop() {
        if (running) {
            running = false;
            script(Duration.ofSeconds(20), Map.of(), "stop", dir.toString());
            sites.exec(routedFrom, "ip", "route", "del", LINK_NET);
        }
    }

    @Override
    public void close() {
        stop();
    }
}
