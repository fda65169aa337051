package dev.strait.gateway.ike.sa;

import dev.strait.gateway.ike.message.ExchangeType;
import dev.strait.gateway.ike.message.IkeMessage;
import dev.strait.gateway.ike.message.Payload;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One exchange this IKE SA initiates, like strongSwan's task_t in the initiator role: it builds its request and
 * processes the answer; the {@link TaskManager} gives it a message ID, protects, sends and retransmits it, and runs
 * the tasks one at a time (window size 1). The peer's requests go to the {@link Responder} of their exchange type.
 * Tasks run on the SA's executor.
 */
interface IkeTask {
    int exchangeType();

    /**
     * The request's inner payloads (they are SK-protected with messageId), built when the task's turn comes; null when
     * the task has nothing to send any more (the SA or the Child SA it was for changed while it waited): the next
     * task goes.
     */
    List<Payload> buildRequest(int messageId);

    /**
     * The peer's (decrypted) answer. A task that goes on with another exchange (IKE_FOLLOWUP_KE, IKE_AUTH after
     * IKE_INTERMEDIATE) hands it to {@link TaskManager#followUp} from here, ahead of the queued tasks.
     */
    void processResponse(IkeMessage response);

    /** Non-null: the request is retransmitted on the usual back-off, but given up once that much time has passed. */
    default Duration giveUpAfter() {
        return null;
    }

    /** The answer to the request's first transmission arrived after rtt (a retransmitted request reports none). */
    default void roundTrip(Duration rtt) {
    }

    /** A task of one exchange whose state fits in two lambdas (deletes, their answers ignored or applied). */
    static IkeTask of(int exchangeType, Supplier<List<Payload>> build, Consumer<IkeMessage> process) {
        return new IkeTask() {
            @Override
            public int exchangeType() {
                return exchangeType;
            }

            @Override
            public List<Payload> buildRequest(int messageId) {
                return build.get();
            }

            @Override
            public void processResponse(IkeMessage response) {
                process.accept(response);
            }
        };
    }

    /** A CREATE_CHILD_SA task: a Child SA rekey or creation, or an IKE SA rekey. */
    abstract class CreateChildSa implements IkeTask {
        @Override
        public final int exchangeType() {
            return ExchangeType.CREATE_CHILD_SA;
        }
    }

    /**
     * IKE_SA_INIT as initiator: unprotected, and its answer is needed raw (both messages' bytes go into the AUTH
     * payloads, RFC 7296 section 2.15), so it encodes its request and takes the answer's bytes itself.
     */
    interface Unprotected {
        /** The whole encoded request (message ID 0). */
        byte[] buildRawRequest();

        void processRawResponse(IkeMessage response, byte[] raw);

        Duration giveUpAfter();
    }

    /** The responder side of one exchange type, like strongSwan's task_t in the responder role: answers a request. */
    @FunctionalInterface
    interface Responder {
        /** request: decrypted, with a message ID in sequence; answered with {@link TaskManager#respond}. */
        void respond(IkeMessage request);
    }
}
