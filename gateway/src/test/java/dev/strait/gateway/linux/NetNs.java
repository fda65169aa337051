package dev.strait.gateway.linux;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/** Test helper: network namespaces made with `ip`, and code run inside one via setns(2) on a fresh thread. */
public final class NetNs {
    private static final int CLONE_NEWNET = 0x40000000;
    private static final MethodHandle SETNS;

    static {
        Linker l = Linker.nativeLinker();
        SETNS = l.downcallHandle(l.defaultLookup().find("setns").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    }

    private NetNs() {
    }

    public record Result(int exit, String output) {
    }

    /** Root itself is checked by {@code @Privileged}; this checks what else the namespace tests need. */
    public static boolean usable() {
        try {
            return Files.exists(Path.of("/dev/net/tun")) && sh("ip", "-V").exit == 0;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * {@code base} plus this JVM's pid: namespace names are machine-wide, and two test runs at once must neither share
     * a namespace nor delete each other's (create() removes a leftover of the same name first).
     */
    public static String perRun(String base) {
        return base + "-" + ProcessHandle.current().pid();
    }

    public static Result sh(String... cmd) {
        return sh(60, cmd);
    }

    public static Result sh(int timeoutSeconds, String... cmd) {
        try {
            Process p = new ProcessBuilder(List.of(cmd)).redirectErrorStream(true).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "timeout: " + String.join(" ", cmd));
            }
            return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static void mustSh(String... cmd) {
        Result r = sh(cmd);
        if (r.exit != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " -> " + r.exit + ": " + r.output);
        }
    }

    public static void create(String name) {
        delete(name);
        mustSh("ip", "netns", "add", name);
        mustSh("ip", "-n", name, "link", "set", "lo", "up");
    }

    public static void delete(String name) {
        sh("ip", "netns", "del", name);
    }

    /** Runs task on a new platform thread that first joined the namespace; fds it opens stay in it. */
    public static <T> T inside(String name, Callable<T> task) throws Exception {
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Exception> failure = new AtomicReference<>();
        Thread t = Thread.ofPlatform().name("netns-" + name).start(() -> {
            try {
                int fd;
                try (Arena a = Arena.ofConfined()) {
                    fd = LibC.open("/var/run/netns/" + name, 0 | LibC.O_CLOEXEC);
                }
                if (fd < 0) {
                    throw new IOException("no namespace " + name);
                }
                int r = (int) SETNS.invokeExact(fd, CLONE_NEWNET);
                LibC.close(fd);
                if (r != 0) {
                    throw new IOException("setns " + name + " failed");
                }
                result.set(task.call());
            } catch (Exception e) {
                failure.set(e);
            } catch (Throwable e) {
                failure.set(new RuntimeException(e));
            }
        });
        t.join();
        if (failure.get() != null) {
            throw failure.get();
        }
        return result.get();
    }

    public static MemorySegment unused() {
        return MemorySegment.NULL;
    }
}
