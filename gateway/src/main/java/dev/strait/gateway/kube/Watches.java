package dev.strait.gateway.kube;

import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;

/** One fabric8 watch run to its end: the loop body of the lease and config Secret followers. */
final class Watches {
    private Watches() {
    }

    /**
     * Starts a watch through {@code start}, events to {@code onEvent}; hands it to {@code started} (its owner closes
     * it to stop early) and closes it at once when {@code closed} already says so. Blocks until the watch ends and
     * returns why (null: closed without an error).
     */
    static <T> WatcherException runToEnd(Function<Watcher<T>, Watch> start, BiConsumer<Watcher.Action, T> onEvent,
            Consumer<Watch> started, BooleanSupplier closed) throws InterruptedException {
        CompletableFuture<WatcherException> ended = new CompletableFuture<>();
        Watch w = start.apply(new Watcher<>() {
            @Override
            public void eventReceived(Action action, T resource) {
                onEvent.accept(action, resource);
            }

            @Override
            public void onClose(WatcherException cause) {
                ended.complete(cause);
            }

            @Override
            public void onClose() {
                ended.complete(null);
            }
        });
        started.accept(w);
        if (closed.getAsBoolean()) {
            w.close();
        }
        try {
            return ended.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause()); // not reached: the future only ever completes normally
        } finally {
            w.close();
        }
    }
}
