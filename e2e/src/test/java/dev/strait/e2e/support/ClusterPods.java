package dev.strait.e2e.support;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Pods of the real-cluster tests: readiness, exec, a tools pod (curl, ping, iperf3, nc), pings that run a while. */
public final class ClusterPods {
    private static final Pattern PING = Pattern.compile("(\\d+) packets transmitted, (\\d+) received");
    private static final Pattern REPLY = Pattern.compile("^\\[(\\d+\\.\\d+)\\] \\d+ bytes from .*icmp_seq=(\\d+)", Pattern.MULTILINE);

    private final LocalCluster cluster;

    public ClusterPods(LocalCluster cluster) {
        this.cluster = cluster;
    }

    public static boolean ready(Pod p) {
        return p != null && p.getStatus() != null && p.getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    /** kubectl exec; throws with the output when the command fails. */
    public ExecResult exec(Pod pod, String... command) {
        return tryExec(pod, command).orThrow();
    }

    public ExecResult tryExec(Pod pod, String... command) {
        List<String> args = new ArrayList<>(List.of("exec", "-n", pod.getMetadata().getNamespace(),
                pod.getMetadata().getName(), "--"));
        args.addAll(List.of(command));
        return cluster.kubectl(Duration.ofSeconds(60), args.toArray(String[]::new));
    }

    /** A tools pod (ping, curl, iperf3, nc), on the given node or wherever the scheduler puts it (node null). */
    public Pod tools(String ns, String name, String node) {
        var client = cluster.client();
        if (client.pods().inNamespace(ns).withName(name).get() == null) {
            client.resource(new PodBuilder().withNewMetadata().withName(name).withNamespace(ns).endMetadata()
                    .withNewSpec().withNodeName(node).addNewContainer().withName("tools").withImage(LocalCluster.TOOLS_IMAGE)
                    .withImagePullPolicy("Never").withCommand("sleep", "infinity").endContainer()
                    .withTerminationGracePeriodSeconds(1L).endSpec().build()).create();
        }
        return client.pods().inNamespace(ns).withName(name)
                .waitUntilCondition(ClusterPods::ready, 3, TimeUnit.MINUTES);
    }

    /** A ping every 0.1 s from the pod's network namespace, with a timestamp per reply, until {@link #stop}. */
    public Ping ping(Pod pod, String dest) throws IOException {
        return new Ping(new ProcessBuilder("nsenter", "-t", Long.toString(cluster.podPid(pod)), "-n", "--",
                "ping", "-D", "-i", "0.1", "-W", "1", dest).redirectErrorStream(true).start());
    }

    /** A running ping; stopping it (SIGINT) gives its statistics and the longest time without a reply. */
    public static final class Ping {
        private final Process process;

        Ping(Process process) {
            this.process = process;
        }

        public Result stop() throws Exception {
            Commands.run(Duration.ofSeconds(5), List.of("kill", "-INT", Long.toString(process.pid())));
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            Matcher m = PING.matcher(out);
            if (!m.find()) {
                throw new AssertionError("no ping statistics in:\n" + out);
            }
            double longest = 0;
            double last = -1;
            List<Double> replies = new java.util.ArrayList<>();
            Matcher r = REPLY.matcher(out);
            while (r.find()) {
                double t = Double.parseDouble(r.group(1));
                replies.add(t);
                if (last >= 0) {
                    longest = Math.max(longest, t - last);
                }
                last = t;
            }
            return new Result(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), longest, List.copyOf(replies));
        }
    }

    /** Sent and received pings, and the longest gap between two replies in seconds. */
    public record Result(int sent, int received, double longestGapSeconds, List<Double> replyTimes) {
        public int lost() {
            return sent - received;
        }

        /** Seconds from {@code epochSeconds} to the first reply received after it, or NaN if none came. */
        public double firstReplyAfter(double epochSeconds) {
            return replyTimes.stream().filter(t -> t > epochSeconds).findFirst().map(t -> t - epochSeconds)
                    .orElse(Double.NaN);
        }
    }
}
