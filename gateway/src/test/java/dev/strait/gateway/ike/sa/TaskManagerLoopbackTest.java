package dev.strait.gateway.ike.sa;

import static dev.strait.gateway.ike.sa.EngineLoopbackTest.await;
import static dev.strait.gateway.testing.PskTunnels.tunnel;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.strait.api.v1alpha1.TunnelSpec;
import dev.strait.gateway.ike.message.ExchangeType;
import dev.strait.gateway.ike.message.IkeMessage;
import dev.strait.gateway.ike.message.Payload;
import dev.strait.gateway.ike.sa.MemoryEngines.Side;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The task contract between two engines: queued tasks, follow-ups, skipped tasks and the peer's responders. */
class TaskManagerLoopbackTest {
    private static final String PSK = "task-manager-loopback-psk-0123456789";
    @RegisterExtension
    final MemoryEngines engines = new MemoryEngines();

    /** A records what it built (name@messageId) and which answers it processed (name). */
    private static IkeTask task(String name, List<String> log, boolean nothingToSend, Runnable afterAnswer) {
        return new IkeTask() {
            @Override
            public int exchangeType() {
                return ExchangeType.INFORMATIONAL;
            }

            @Override
            public List<Payload> buildRequest(int messageId) {
                if (nothingToSend) {
                    return null;
                }
                log.add(name + "@" + messageId);
                return List.of();
            }

            @Override
            public void processResponse(IkeMessage response) {
                log.add(name);
                afterAnswer.run();
            }
        };
    }

    @Test
    void tasksGoOneAtATimeInOrderAFollowUpBeforeTheQueuedOnesAndASkippedOneSendsNothing() throws Exception {
        Side a = engines.start("127.0.6.1");
        Side b = engines.start("127.0.6.2");
        b.engine.apply(List.of(TunnelDefinition.from(tunnel("t", "127.0.6.1", "b.test", "a.test", "10.20.0.0/24",
                "10.10.0.0/24", "aes256gcm16-prfsha384-x25519", "aes256gcm16", TunnelSpec.Initiation.Passive, PSK))));
        a.engine.apply(List.of(TunnelDefinition.from(tunnel("t", "127.0.6.2", "a.test", "b.test", "10.10.0.0/24",
                "10.20.0.0/24", "aes256gcm16-prfsha384-x25519", "aes256gcm16", TunnelSpec.Initiation.Start, PSK))));
        await(() -> a.datapath.installed.size() == 1 && b.datapath.installed.size() == 1, "the tunnel up");
        IkeSa sa = a.engine.currentSa("t");
        List<String> log = new CopyOnWriteArrayList<>();
        IkeTask followUp = task("follow-up", log, false, () -> { });
        IkeTask first = task("first", log, false, () -> sa.tasks().followUp(followUp));
        IkeTask skipped = task("skipped", log, true, () -> { });
        IkeTask last = task("last", log, false, () -> { });
        sa.execute(() -> {
            sa.tasks().queue(first);
            sa.tasks().queue(skipped);
            sa.tasks().queue(last);
        });
        await(() -> log.contains("last"), "the last task's answer");
        int id = Integer.parseInt(log.getFirst().substring("first@".length()));
        // B answered each (an empty INFORMATIONAL is a liveness check to its responder) in the order they went out
        assertEquals(List.of("first@" + id, "first", "follow-up@" + (id + 1), "follow-up", "last@" + (id + 2), "last"), log);
        List<MemoryNetwork.Datagram> ours = MemoryNetwork.requests(engines.network.wire(), ExchangeType.INFORMATIONAL).stream()
                .filter(d -> d.from().equals("127.0.6.1") && d.messageId() >= id && d.messageId() <= id + 2).toList();
        assertEquals(List.of(id, id + 1, id + 2), ours.stream().map(MemoryNetwork.Datagram::messageId).toList(),
                "one request each, the skipped task sent none");
    }
}
