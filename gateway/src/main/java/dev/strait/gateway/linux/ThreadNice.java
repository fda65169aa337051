package dev.strait.gateway.linux;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lowers the CPU priority (raises the nice value) of the calling thread only: Linux schedules threads separately, so
 * {@code setpriority(PRIO_PROCESS, gettid(), n)} applies to one thread. Used for work that must yield to the ESP
 * receive thread when both want the CPU.
 */
public final class ThreadNice {
    private static final Logger LOG = LoggerFactory.getLogger(ThreadNice.class);
    private static final int PRIO_PROCESS = 0;

    private ThreadNice() {
    }

    /** Best effort: false (and a debug line) when the platform has no such calls or refuses. */
    public static boolean setForCurrentThread(int nice) {
        try {
            Linker linker = Linker.nativeLinker();
            var lookup = linker.defaultLookup();
            var gettidSym = lookup.find("gettid");
            var setprioritySym = lookup.find("setpriority");
            if (gettidSym.isEmpty() || setprioritySym.isEmpty()) {
                return false;
            }
            MethodHandle gettid = linker.downcallHandle(gettidSym.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT));
            MethodHandle setpriority = linker.downcallHandle(setprioritySym.get(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            int tid = (int) gettid.invokeExact();
            return (int) setpriority.invokeExact(PRIO_PROCESS, tid, nice) == 0;
        } catch (Throwable e) {
            LOG.debug("cannot set the nice value of thread {}: {}", Thread.currentThread().getName(), e.toString());
            return false;
        }
    }
}
