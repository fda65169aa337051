package dev.strait.e2e.support;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;

/**
 * Where a failover spends its time: the Lease's holder changes as the test sees them (a watch), and the lines of
 * the gateway and route agent logs about leases, tunnels and routes from a moment before the failover on, all with
 * timestamps, written to one file next to the test's figures.
 */
public final class FailoverTrace implements AutoCloseable {
    private static final Pattern INTERESTING = Pattern.compile(
            "lease|active|standby|took|failover|INITIAL_CONTACT|established|Established|applied|stopping|released"
                    + "|deleting|IKE SA|Child SA");

    private final KubernetesClient client;
    private final String namespace;
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final Instant start = Instant.now();
    private final Watch watch;

    public FailoverTrace(KubernetesClient client, String namespace, String leaseName) {
        this.client = client;
        this.namespace = namespace;
        this.watch = client.leases().inNamespace(namespace).withName(leaseName).watch(new Watcher<>() {
            private String holder;

            @Override
            public void eventReceived(Action action, Lease l) {
                String h = l.getSpec() == null ? null : l.getSpec().getHolderIdentity();
                if (!java.util.Objects.equals(h, holder)) {
                    holder = h;
                    event("lease holder " + (h == null || h.isEmpty() ? "(none)" : h) + ", transitions "
                            + l.getSpec().getLeaseTransitions());
                }
            }

            @Override
            public void onClose(WatcherException cause) {
            }
        });
    }

    public void event(String what) {
        events.add(Instant.now() + " [test] " + what);
    }

    /** The first time an event containing {@code text} was seen, or null. */
    public Instant firstEvent(String text) {
        return events.stream().filter(e -> e.contains(text)).findFirst()
                .map(e -> Instant.parse(e.substring(0, e.indexOf(' ')))).orElse(null);
    }

    /** Writes the events and the log lines of these pods (the killed container's too) since the trace began. */
    public void write(Path file, List<Pod> pods) throws IOException {
        List<String> lines = new java.util.ArrayList<>(events);
        String since = start.minusSeconds(2).toString();
        for (Pod p : pods) {
            String name = p.getMetadata().getName();
            for (boolean previous : new boolean[] {true, false}) {
                String log;
                try {
                    var r = client.pods().inNamespace(p.getMetadata().getNamespace()).withName(name);
                    log = previous ? r.terminated().getLog() : r.getLog();
                } catch (RuntimeException e) {
                    continue; // no earlier container, or the pod is gone
                }
                for (String l : log == null ? new String[0] : log.split("\n")) {
                    int sp = l.indexOf(' ');
                    // every line of a gateway (the window is seconds), the interesting ones of the route agents
                    boolean gateway = p.getMetadata().getLabels() != null
                            && p.getMetadata().getLabels().containsKey("strait.dev/gateway");
                    if (sp > 0 && l.substring(0, sp).compareTo(since) >= 0 && !l.startsWith("WARNING")
                            && (gateway || INTERESTING.matcher(l).find())) {
                        lines.add(l.substring(0, sp) + " [" + name + (previous ? " previous" : "") + "]"
                                + l.substring(sp));
                    }
                }
            }
        }
        // The remote site's strongSwan log (charon writes "HH:mm:ss" local time, UTC here): the same window.
        Path charon = Path.of("/run/strait-e2e", LocalCluster.REMOTE_NS, "charon.log");
        if (Files.isReadable(charon)) {
            String day = start.toString().substring(0, 11);
            String from = since.substring(11, 19);
            for (String l : Files.readAllLines(charon)) {
                if (l.length() > 9 && l.substring(0, 8).compareTo(from) >= 0
                        && (l.contains("[NET]") || l.contains("[IKE]"))) {
                    lines.add(day + l.substring(0, 8) + ".000Z [strongSwan]" + l.substring(8));
                }
            }
        }
        lines.sort(null);
        Files.writeString(file, String.join("\n", lines) + "\n");
    }

    @Override
    public void close() {
        watch.close();
    }
}
