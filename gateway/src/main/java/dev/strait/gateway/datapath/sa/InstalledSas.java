package dev.strait.gateway.datapath.sa;

/** The control plane as the packet threads see it: the current lookup tables, and the one change they trigger. */
public interface InstalledSas {

    /** The latest published tables (a volatile read). */
    SaTables tables();

    /** The peer sent on a held SA, so it has installed it: outbound traffic moves to it (once per SA). */
    void releaseHeld(ChildSa sa);
}
