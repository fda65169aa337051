package dev.strait.gateway.routing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs the node's own tools ({@code ip}, {@code bridge}, {@code iptables}). A prefix such as
 * {@code ip netns exec NAME} runs every command in another network namespace; the agent in a hostNetwork pod has none.
 */
public final class Shell {
    private static final long TIMEOUT_SECONDS = 30;
    private final List<String> prefix;

    public Shell(List<String> prefix) {
        this.prefix = List.copyOf(prefix);
    }

    public static Shell local() {
        return new Shell(List.of());
    }

    public record Result(int exit, String out, String err) {
        public boolean ok() {
            return exit == 0;
        }
    }

    public Result run(String... argv) throws IOException {
        return runWithInput(null, argv);
    }

    /** Runs argv with stdin (or none) and returns its exit code and output; never throws for a non-zero exit. */
    public Result runWithInput(String stdin, String... argv) throws IOException {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of(argv));
        Process p = new ProcessBuilder(cmd).start();
        CompletableFuture<String> out = drain(p.getInputStream());
        CompletableFuture<String> err = drain(p.getErrorStream());
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        try {
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("timed out after " + TIMEOUT_SECONDS + " s: " + String.join(" ", argv));
            }
            return new Result(p.exitValue(), out.join(), err.join());
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", argv), e);
        }
    }

    /** Like run, but a non-zero exit is an IOException naming the command and quoting its error output. */
    public String must(String... argv) throws IOException {
        return mustWithInput(null, argv);
    }

    public String mustWithInput(String stdin, String... argv) throws IOException {
        Result r = runWithInput(stdin, argv);
        if (!r.ok()) {
            throw new IOException(String.join(" ", argv) + " failed (" + r.exit() + "): " + r.err().strip());
        }
        return r.out();
    }

    private static CompletableFuture<String> drain(InputStream s) {
        return CompletableFuture.supplyAsync(() -> {
            try (s) {
                return new String(s.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        }, Thread::startVirtualThread);
    }
}
