package dev.strait.e2e.support;

import dev.strait.gateway.testing.TcpForwarder;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.concurrent.CompletableFuture;

/**
 * Makes a TCP service of the root namespace (the test's kube-apiserver on 127.0.0.1:PORT) reachable at the same
 * loopback address and port inside a site namespace, without adding anything to the root namespace's network: a
 * dedicated thread enters the site's network namespace (setns(2) affects only the calling thread), opens the
 * listening socket there and leaves; every accepted connection is forwarded to the target from the root namespace.
 * Because address and port are the same, the API server's certificate (SAN 127.0.0.1) and kubeconfig fit as they are.
 */
public final class NetnsTcpBridge implements AutoCloseable {
    private static final int CLONE_NEWNET = 0x40000000;
    private static final int O_RDONLY = 0;

    private final TcpForwarder forwarder;

    private NetnsTcpBridge(TcpForwarder forwarder) {
        this.forwarder = forwarder;
    }

    /** Listens on loopback:{@code target.port} inside {@code ns} and forwards to {@code target} from here. */
    public static NetnsTcpBridge open(String ns, InetSocketAddress target) throws IOException {
        CompletableFuture<ServerSocketChannel> listening = new CompletableFuture<>();
        // A fresh platform thread that ends after binding: the JVM's other threads never change namespace.
        Thread t = Thread.ofPlatform().name("netns-bridge-" + ns).start(() -> {
            try {
                enter(ns);
                ServerSocketChannel s = ServerSocketChannel.open();
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), target.getPort()));
                listening.complete(s);
            } catch (Throwable e) {
                listening.completeExceptionally(e);
            }
        });
        try {
            t.join();
            return new NetnsTcpBridge(new TcpForwarder(listening.join(), target));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        } catch (java.util.concurrent.CompletionException e) {
            throw new IOException("cannot listen inside namespace " + ns + ": " + e.getCause(), e.getCause());
        }
    }

    private static void enter(String ns) throws Throwable {
        Linker linker = Linker.nativeLinker();
        var libc = linker.defaultLookup();
        MethodHandle open = linker.downcallHandle(libc.find("open").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        MethodHandle setns = linker.downcallHandle(libc.find("setns").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        MethodHandle close = linker.downcallHandle(libc.find("close").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) open.invokeExact(arena.allocateFrom("/var/run/netns/" + ns), O_RDONLY);
            if (fd < 0) {
                throw new IOException("no network namespace " + ns);
            }
            int rc = (int) setns.invokeExact(fd, CLONE_NEWNET);
            int ignored = (int) close.invokeExact(fd);
            if (rc != 0) {
                throw new IOException("setns(" + ns + ") failed");
            }
        }
    }

    @Override
    public void close() throws IOException {
        forwarder.close();
    }
}
