package dev.strait.gateway.kube;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** When kubelet's view of a pod says the process that took the lease is gone. */
class GatewayPodsTest {
    private static final Instant ACQUIRED = Instant.parse("2026-12-06T04:00:10.400Z");

    private static Pod pod(ContainerStateBuilder state, ContainerStateBuilder last) {
        return new PodBuilder().withNewMetadata().withName("hub-1").endMetadata().withNewStatus()
                .withContainerStatuses(new ContainerStatusBuilder().withName(GatewayPods.CONTAINER)
                        .withState(state.build()).withLastState(last == null ? null : last.build()).build())
                .endStatus().build();
    }

    private static ContainerStateBuilder running(String since) {
        return new ContainerStateBuilder().withNewRunning().withStartedAt(since).endRunning();
    }

    private static ContainerStateBuilder terminated(String at) {
        return new ContainerStateBuilder().withNewTerminated().withExitCode(137).withFinishedAt(at).endTerminated();
    }

    @Test
    void theProcessThatTookTheLeaseStillRuns() {
        assertFalse(GatewayPods.processGone(pod(running("2026-12-06T03:59:00Z"), null), ACQUIRED));
        assertFalse(GatewayPods.processGone(pod(running("2026-12-06T04:00:10Z"), null), ACQUIRED),
                "started in the same second: kubelet's whole seconds cannot tell");
    }

    @Test
    void aRestartedContainerRunsALaterProcess() {
        assertTrue(GatewayPods.processGone(pod(running("2026-12-06T04:00:12Z"),
                terminated("2026-12-06T04:00:11Z")), ACQUIRED));
    }

    @Test
    void aTerminatedOrWaitingContainerRunsNothing() {
        assertTrue(GatewayPods.processGone(pod(terminated("2026-12-06T04:00:30Z"), null), ACQUIRED));
        assertTrue(GatewayPods.processGone(pod(new ContainerStateBuilder().withNewWaiting()
                .withReason("CrashLoopBackOff").endWaiting(), terminated("2026-12-06T04:00:30Z")), ACQUIRED));
    }

    @Test
    void aDeathBeforeTheLeaseWasTakenIsAStaleStatus() {
        // The lease was taken afresh by the restarted process after this status was written.
        assertFalse(GatewayPods.processGone(pod(terminated("2026-12-06T04:00:05Z"), null), ACQUIRED));
    }

    @Test
    void noStatusProvesNothing() {
        assertFalse(GatewayPods.processGone(new PodBuilder().withNewMetadata().withName("x").endMetadata().build(),
                ACQUIRED));
    }
}
