package dev.strait.gateway.routing;

import dev.strait.gateway.routing.DesiredState.Chain;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Strait's own iptables chains: each chain's rules are replaced in one iptables-restore commit (so no packet ever
 * sees the chain half-built: an agent restart does not open a window for SNAT), and one jump to it stays the first
 * rule of its built-in chain (ahead of the CNI's and kube-proxy's MASQUERADE rules). Nothing else is touched.
 */
public final class Iptables {
    /**
     * The tables the agent writes to, and so the only ones it looks at: even listing a table makes iptables-legacy
     * instantiate it, and an uninstall must not leave an empty raw table behind.
     */
    static final List<String> TABLES = Ownership.CHAINS.stream().map(DesiredState.Chain::table).distinct().toList();
    private final Shell shell;
    private final String binary;

    /** binary: iptables, iptables-nft or iptables-legacy; must be the variant kube-proxy and the CNI use. */
    public Iptables(Shell shell, String binary) {
        this.shell = shell;
        this.binary = binary;
    }

    /**
     * The backend the node's other rules live in, as kubernetes' iptables-wrapper decides: the variant with more
     * rules (kube-proxy and the CNI put theirs in one of them); nft when both are empty; plain iptables otherwise.
     */
    public static String detect(Shell shell) throws IOException {
        int legacy = ruleCount(shell, "iptables-legacy-save");
        int nft = ruleCount(shell, "iptables-nft-save");
        if (legacy < 0 && nft < 0) {
            return "iptables";
        }
        return legacy > nft ? "iptables-legacy" : "iptables-nft";
    }

    private static int ruleCount(Shell shell, String save) {
        try {
            Shell.Result r = shell.run(save);
            return r.ok() ? (int) r.out().lines().filter(l -> l.startsWith("-A ")).count() : -1;
        } catch (IOException e) {
            return -1;
        }
    }

    public String binary() {
        return binary;
    }

    public void apply(List<Chain> chains) throws IOException {
        for (String table : TABLES) {
            List<Chain> mine = chains.stream().filter(c -> c.table().equals(table)).toList();
            if (mine.isEmpty()) {
                continue;
            }
            StringBuilder in = new StringBuilder("*").append(table).append('\n');
            for (Chain c : mine) {
                in.append(':').append(c.name()).append(" - [0:0]\n"); // with --noflush: creates or flushes it
            }
            for (Chain c : mine) {
                for (String rule : c.rules()) {
                    in.append("-A ").append(c.name()).append(' ').append(rule).append('\n');
                }
            }
            in.append("COMMIT\n");
            shell.mustWithInput(in.toString(), restoreBinary(), "-w", "5", "--noflush");
            for (Chain c : mine) {
                jumpFirst(c);
            }
        }
        for (Chain stale : ownedChains()) {
            if (chains.stream().noneMatch(c -> c.table().equals(stale.table()) && c.name().equals(stale.name()))) {
                remove(stale.table(), stale.name());
            }
        }
    }

    /** Removes every STRAIT-* chain in the agent's tables and every jump into one. */
    public void removeAll() throws IOException {
        for (Chain c : ownedChains()) {
            remove(c.table(), c.name());
        }
    }

    /** Strait's chains that exist now, with their current rules (in -S form, without "-A NAME "). */
    public List<Chain> ownedChains() throws IOException {
        List<Chain> out = new ArrayList<>();
        for (String table : TABLES) {
            Shell.Result r = shell.run(binary, "-w", "5", "-t", table, "-S");
            if (!r.ok()) {
                continue; // a table the kernel does not have holds nothing of ours
            }
            for (String line : r.out().lines().toList()) {
                if (line.startsWith("-N " + Ownership.CHAIN_PREFIX)) {
                    String name = line.substring(3).strip();
                    String prefix = "-A " + name + " ";
                    out.add(new Chain(table, name, "", r.out().lines().filter(l -> l.startsWith(prefix))
                            .map(l -> l.substring(prefix.length())).toList()));
                }
            }
        }
        return out;
    }

    /** Insert the jump at the top first, then delete older copies further down: no moment without it. */
    private void jumpFirst(Chain c) throws IOException {
        List<String> rules = rules(c.table(), c.hook());
        String jump = "-A " + c.hook() + " -j " + c.name();
        if (!rules.isEmpty() && rules.get(0).equals(jump)) {
            deleteJumps(c.table(), c.hook(), c.name(), 1);
            return;
        }
        shell.must(binary, "-w", "5", "-t", c.table(), "-I", c.hook(), "1", "-j", c.name());
        deleteJumps(c.table(), c.hook(), c.name(), 1);
    }

    /** Deletes the jumps to target in hook at rule positions after keep (1-based), from the bottom up. */
    private void deleteJumps(String table, String hook, String target, int keep) throws IOException {
        List<String> rules = rules(table, hook);
        for (int i = rules.size() - 1; i >= keep; i--) {
            if (rules.get(i).endsWith(" -j " + target)) {
                shell.must(binary, "-w", "5", "-t", table, "-D", hook, String.valueOf(i + 1));
            }
        }
    }

    private void remove(String table, String chain) throws IOException {
        Shell.Result all = shell.run(binary, "-w", "5", "-t", table, "-S");
        if (all.ok()) {
            for (String line : all.out().lines().toList()) {
                String[] f = line.split(" ");
                if (f.length >= 2 && f[0].equals("-A") && line.endsWith(" -j " + chain)) {
                    deleteJumps(table, f[1], chain, 0);
                }
            }
        }
        shell.run(binary, "-w", "5", "-t", table, "-F", chain);
        shell.must(binary, "-w", "5", "-t", table, "-X", chain);
    }

    private List<String> rules(String table, String chain) throws IOException {
        return shell.must(binary, "-w", "5", "-t", table, "-S", chain).lines()
                .filter(l -> l.startsWith("-A ")).toList();
    }

    private String restoreBinary() {
        return binary + "-restore";
    }
}
