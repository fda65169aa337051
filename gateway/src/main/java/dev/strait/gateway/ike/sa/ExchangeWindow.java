package dev.strait.gateway.ike.sa;

import dev.strait.gateway.ike.message.IkeMessage;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The message IDs of one IKE SA and its request window of size 1 (RFC 7296 section 2.1-2.3): the single outstanding
 * request with its retransmissions, the requests queued behind it, and our last response for the peer's
 * retransmitted request. Runs on the SA's executor, like the SA itself.
 */
final class ExchangeWindow {
    /**
     * deadlineNanos != 0: retransmissions are squeezed into that deadline (liveness checks use dpd.timeout).
     * onRoundTrip non-null: an answer to the first transmission reports the round trip (a retransmitted request
     * gives none: which copy was answered is unknown).
     */
    private record Outstanding(int messageId, List<byte[]> bytes, Consumer<IkeMessage> onResponse, BiConsumer<IkeMessage, byte[]> onRawResponse,
                               long startedNanos, int attempt, Clock.Timer timer, long deadlineNanos,
                               Consumer<Duration> onRoundTrip) {
        Outstanding next(int nextAttempt, Clock.Timer nextTimer) {
            return new Outstanding(messageId, bytes, onResponse, onRawResponse, startedNanos, nextAttempt, nextTimer,
                    deadlineNanos, onRoundTrip);
        }
    }

    private final IkeSa ikeSa;
    private final IkeEngine engine;
    private final SaTimers timers;
    private int nextRequestId;
    private int expectedPeerRequestId;
    /** Our last response, as sent (several datagrams when fragmented): resent when the request comes again. */
    private List<byte[]> lastResponse;
    private int lastResponseId = -1;
    private Outstanding outstanding;
    private final ArrayDeque<Runnable> queuedRequests = new ArrayDeque<>();

    ExchangeWindow(IkeSa ikeSa, IkeEngine engine, SaTimers timers) {
        this.ikeSa = ikeSa;
        this.engine = engine;
        this.timers = timers;
    }

    /** The message ID our next request gets. */
    int nextRequestId() {
        return nextRequestId;
    }

    /** The message ID the peer's next new request must carry. */
    int expectedPeerRequestId() {
        return expectedPeerRequestId;
    }

    /** A request of ours waits for its answer. */
    boolean busy() {
        return outstanding != null;
    }

    /** A request of ours with this message ID waits for its answer. */
    boolean awaits(int messageId) {
        return outstanding != null && outstanding.messageId() == messageId;
    }

    /** Our response to the peer's request messageId, as sent, while it is the last one; null otherwise. */
    List<byte[]> lastResponseTo(int messageId) {
        return messageId == lastResponseId ? lastResponse : null;
    }

    /** Remembers our response to the peer's request messageId (for its retransmissions); the next request is messageId + 1. */
    void responded(int messageId, List<byte[]> bytes) {
        lastResponse = bytes;
        lastResponseId = messageId;
        expectedPeerRequestId = messageId + 1;
    }

    /** Runs r now when no request is outstanding, else once the ones before it are answered. */
    void queueRequest(Runnable r) {
        if (outstanding == null) {
            r.run();
        } else {
            queuedRequests.add(r);
        }
    }

    void sendNextQueued() {
        if (outstanding != null) {
            return; // a response handler already sent the next request of its exchange chain (IKE_FOLLOWUP_KE)
        }
        Runnable next = queuedRequests.poll();
        if (next != null) {
            next.run();
        }
    }

    void dropQueued() {
        queuedRequests.clear();
    }

    /** Sends a request and retransmits it with exponential back-off (RFC 7296 section 2.1) until answered. */
    void sendRequest(int messageId, List<byte[]> bytes, Consumer<IkeMessage> onResponse, BiConsumer<IkeMessage, byte[]> onRawResponse) {
        sendRequest(messageId, bytes, onResponse, onRawResponse, null);
    }

    /** giveUpAfter non-null: retransmit on the usual back-off but declare failure once that much time has passed. */
    void sendRequest(int messageId, List<byte[]> bytes, Consumer<IkeMessage> onResponse,
                     BiConsumer<IkeMessage, byte[]> onRawResponse, Duration giveUpAfter) {
        send(messageId, bytes, onResponse, onRawResponse, giveUpAfter, null);
    }

    /**
     * A request whose answer measures the path (liveness checks): like sendRequest, and when the first transmission
     * is answered, onRoundTrip gets the time from sending to the answer's arrival.
     */
    void sendTimedRequest(int messageId, List<byte[]> bytes, Consumer<IkeMessage> onResponse, Duration giveUpAfter,
                          Consumer<Duration> onRoundTrip) {
        send(messageId, bytes, onResponse, null, giveUpAfter, onRoundTrip);
    }

    private void send(int messageId, List<byte[]> bytes, Consumer<IkeMessage> onResponse,
                      BiConsumer<IkeMessage, byte[]> onRawResponse, Duration giveUpAfter, Consumer<Duration> onRoundTrip) {
        cancelOutstanding();
        nextRequestId = messageId + 1;
        long now = engine.clock().nanoTime();
        outstanding = new Outstanding(messageId, bytes, onResponse, onRawResponse, now, 0, null,
                giveUpAfter == null ? 0 : now + giveUpAfter.toNanos(), onRoundTrip);
        transmit();
    }

    /** The answer to our IKE_SA_INIT, handed over raw (its bytes go into the AUTH payloads). */
    void onRawResponse(IkeMessage m, byte[] raw) {
        Outstanding o = completeOutstanding();
        o.onRawResponse().accept(m, raw);
    }

    /** The (decrypted) answer to the outstanding request; then the next queued request goes out. */
    void onResponse(IkeMessage response) {
        long arrived = engine.clock().nanoTime();
        Outstanding o = completeOutstanding();
        if (o.onRoundTrip() != null && o.attempt() == 0) {
            o.onRoundTrip().accept(Duration.ofNanos(arrived - o.startedNanos()));
        }
        if (o.onResponse() != null) {
            o.onResponse().accept(response);
        }
        sendNextQueued();
    }

    private void transmit() {
        Outstanding o = outstanding;
        o.bytes().forEach(ikeSa::sendToPeer); // every fragment, every time (RFC 7383 section 2.6.1)
        Duration delay = nextDelay(o);
        if (delay == null) {
            return;
        }
        Clock.Timer timer = timers.after(delay, () -> onRetransmitTimer(o.messageId(), o.attempt()));
        outstanding = o.next(o.attempt(), timer);
    }

    private Duration nextDelay(Outstanding o) {
        Duration d = engine.retransmitDelay(o.attempt());
        if (o.deadlineNanos() == 0) {
            return d;
        }
        if (d == null) {
            d = engine.settings().retransmits().getLast();
        }
        long left = o.deadlineNanos() - engine.clock().nanoTime();
        return Duration.ofNanos(Math.max(0, Math.min(d.toNanos(), left)));
    }

    private void onRetransmitTimer(int messageId, int attempt) {
        Outstanding o = outstanding;
        if (o == null || o.messageId() != messageId || o.attempt() != attempt || ikeSa.state == IkeSa.State.CLOSED) {
            return;
        }
        boolean giveUp = o.deadlineNanos() != 0 ? engine.clock().nanoTime() >= o.deadlineNanos() - 1_000_000
                : engine.retransmitDelay(attempt + 1) == null;
        if (giveUp) {
            outstanding = null;
            ikeSa.onNoAnswer(attempt, o.startedNanos());
            return;
        }
        engine.listener().retransmit(ikeSa.name());
        outstanding = o.next(attempt + 1, null);
        transmit();
    }

    private Outstanding completeOutstanding() {
        Outstanding o = outstanding;
        outstanding = null;
        if (o.timer() != null) {
            o.timer().cancel();
        }
        return o;
    }

    void cancelOutstanding() {
        if (outstanding != null && outstanding.timer() != null) {
            outstanding.timer().cancel();
        }
        outstanding = null;
    }
}
