package dev.strait.gateway.ike.sa;

import dev.strait.gateway.ike.message.IkeMessage;
import dev.strait.gateway.ike.message.Payload;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The tasks of one IKE SA, like strongSwan's task_manager_t: message IDs and the request window of size 1 (RFC 7296
 * sections 2.1-2.3), the single outstanding task with its retransmissions, the tasks queued behind it, the peer's
 * requests handed to the {@link IkeTask.Responder} of their exchange type, and our last response for the peer's
 * retransmitted request. Runs on the SA's executor, like the SA itself.
 */
final class TaskManager {
    /**
     * One of task and raw is set. deadlineNanos != 0: retransmissions are squeezed into that deadline (liveness checks
     * use dpd.timeout).
     */
    private record Outstanding(int messageId, List<byte[]> bytes, IkeTask task, IkeTask.Unprotected raw,
                               long startedNanos, int attempt, Clock.Timer timer, long deadlineNanos) {
        Outstanding next(int nextAttempt, Clock.Timer nextTimer) {
            return new Outstanding(messageId, bytes, task, raw, startedNanos, nextAttempt, nextTimer, deadlineNanos);
        }
    }

    private final IkeSa ikeSa;
    private final IkeEngine engine;
    private final SaTimers timers;
    private final SkChannel sk;
    private final Map<Integer, IkeTask.Responder> responders = new HashMap<>();
    private int nextRequestId;
    private int expectedPeerRequestId;
    /** Our last response, as sent (several datagrams when fragmented): resent when the request comes again. */
    private List<byte[]> lastResponse;
    private int lastResponseId = -1;
    private Outstanding outstanding;
    private final ArrayDeque<IkeTask> queued = new ArrayDeque<>();

    TaskManager(IkeSa ikeSa, IkeEngine engine, SaTimers timers, SkChannel sk) {
        this.ikeSa = ikeSa;
        this.engine = engine;
        this.timers = timers;
        this.sk = sk;
    }

    /** The peer's requests of this exchange type go to responder; those of a type without one get an empty answer. */
    void respondTo(int exchangeType, IkeTask.Responder responder) {
        responders.put(exchangeType, responder);
    }

    /** A request of ours waits for its answer. */
    boolean busy() {
        return outstanding != null;
    }

    // ---------------------------------------------------------------- our tasks

    /** Starts task now when no request is outstanding, else once the ones before it are answered. */
    void queue(IkeTask task) {
        if (outstanding == null) {
            initiate(task);
        } else {
            queued.add(task);
        }
    }

    /** The next exchange of the task whose answer is being processed (IKE_FOLLOWUP_KE, IKE_AUTH): goes out now. */
    void followUp(IkeTask task) {
        initiate(task);
    }

    /** Drops the outstanding request and every queued task, and starts task now (our DELETE of the IKE SA). */
    void preempt(IkeTask task) {
        cancelOutstanding();
        dropQueued();
        initiate(task);
    }

    /** IKE_SA_INIT: the request goes out unprotected with message ID 0 (again, after a COOKIE or INVALID_KE_PAYLOAD). */
    void initiate(IkeTask.Unprotected task) {
        send(0, List.of(task.buildRawRequest()), null, task, task.giveUpAfter());
    }

    private void initiate(IkeTask task) {
        int id = nextRequestId;
        List<Payload> inner = task.buildRequest(id);
        if (inner == null) {
            sendNextQueued();
            return;
        }
        send(id, sk.protect(task.exchangeType(), ikeSa.ownFlags(false), id, inner), task, null, task.giveUpAfter());
    }

    private void sendNextQueued() {
        if (outstanding != null) {
            return; // a response handler already sent the next request of its exchange chain (IKE_FOLLOWUP_KE)
        }
        IkeTask next = queued.poll();
        if (next != null) {
            initiate(next);
        }
    }

    /** The tasks waiting for their turn are dropped (the SA was rekeyed or is being deleted). */
    void dropQueued() {
        queued.clear();
    }

    /** Sends a request and retransmits it with exponential back-off (RFC 7296 section 2.1) until answered. */
    private void send(int messageId, List<byte[]> bytes, IkeTask task, IkeTask.Unprotected raw, Duration giveUpAfter) {
        cancelOutstanding();
        nextRequestId = messageId + 1;
        long now = engine.clock().nanoTime();
        outstanding = new Outstanding(messageId, bytes, task, raw, now, 0, null,
                giveUpAfter == null ? 0 : now + giveUpAfter.toNanos());
        transmit();
    }

    // ---------------------------------------------------------------- messages from the peer

    /** The answer to our IKE_SA_INIT, handed over raw (its bytes go into the AUTH payloads). */
    void onInitResponse(IkeMessage m, byte[] raw, InetSocketAddress from) {
        if (outstanding == null || outstanding.messageId() != 0 || outstanding.raw() == null) {
            ikeSa.unexpected(m, from);
            return;
        }
        completeOutstanding().raw().processRawResponse(m, raw);
    }

    /** The peer retransmitted its IKE_SA_INIT: our answer again, if we have it; false when we do not. */
    boolean resendInitResponse() {
        if (lastResponseId != 0) {
            return false;
        }
        lastResponse.forEach(ikeSa::sendToPeer);
        return true;
    }

    /** Every SK-protected message: a response goes to the outstanding task, a request to its exchange's responder. */
    void onProtected(IkeMessage m, byte[] raw, InetSocketAddress from, boolean viaNatt) {
        if (m.isResponse()) {
            if (outstanding == null || outstanding.messageId() != m.messageId() || outstanding.task() == null) {
                ikeSa.unexpected(m, from); // late or duplicate response
                return;
            }
            List<Payload> inner = sk.decrypt(m, raw);
            if (inner == null) {
                return;
            }
            ikeSa.heardFromPeer();
            onResponse(m.withPayloads(inner));
            return;
        }
        if (lastResponse != null && m.messageId() == lastResponseId) {
            // The peer did not get our answer; for a fragmented request, answer its first fragment only (RFC 7383 2.6.1).
            boolean firstOrWhole = m.first(Payload.EncryptedFragment.class).map(f -> f.fragmentNumber() == 1).orElse(true);
            if (firstOrWhole) {
                lastResponse.forEach(b -> engine.send(b, from, viaNatt));
            }
            return;
        }
        if (m.messageId() != expectedPeerRequestId) {
            ikeSa.unexpected(m, from);
            return;
        }
        List<Payload> inner = sk.decrypt(m, raw);
        if (inner == null) {
            return;
        }
        ikeSa.heardFromPeer();
        ikeSa.peerAt(from, viaNatt);
        IkeMessage request = m.withPayloads(inner);
        IkeTask.Responder responder = responders.get(m.exchangeType());
        if (responder != null) {
            responder.respond(request);
        } else {
            respond(request, List.of());
        }
    }

    /** Answers the peer's request (SK-protected) and keeps the answer for its retransmissions. */
    void respond(IkeMessage request, List<Payload> inner) {
        responded(request.messageId(), sk.protect(request.exchangeType(), ikeSa.ownFlags(true), request.messageId(), inner));
        lastResponse.forEach(ikeSa::sendToPeer);
    }

    /** Remembers our response to the peer's request messageId (for its retransmissions); the next request is messageId + 1. */
    void responded(int messageId, List<byte[]> bytes) {
        lastResponse = bytes;
        lastResponseId = messageId;
        expectedPeerRequestId = messageId + 1;
    }

    /** The (decrypted) answer to the outstanding request; then the next queued task goes. */
    private void onResponse(IkeMessage response) {
        long arrived = engine.clock().nanoTime();
        Outstanding o = completeOutstanding();
        if (o.attempt() == 0) {
            o.task().roundTrip(Duration.ofNanos(arrived - o.startedNanos()));
        }
        o.task().processResponse(response);
        sendNextQueued();
    }

    // ---------------------------------------------------------------- retransmission

    private void transmit() {
        Outstanding o = outstanding;
        o.bytes().forEach(ikeSa::sendToPeer); // every fragment, every time (RFC 7383 section 2.6.1)
        Duration delay = nextDelay(o);
        if (delay == null) {
            return;
        }
        Clock.Timer timer = timers.after(delay, () -> retransmit(o.messageId(), o.attempt()));
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

    /** The retransmission timer of attempt fired: send again, or give up and tell the SA. */
    private void retransmit(int messageId, int attempt) {
        Outstanding o = outstanding;
        if (o == null || o.messageId() != messageId || o.attempt() != attempt || ikeSa.state() == IkeSa.State.CLOSED) {
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
