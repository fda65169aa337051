package dev.strait.e2e.support;

import java.nio.file.Path;

/** A peer's IKE daemon in one site's namespace: {@link SitesExtension} stops it and reports its log and SAs on failure. */
public interface PeerDaemon {
    String namespace();

    /** The daemon's name for reports and log copies, e.g. "charon". */
    String kind();

    void stop();

    Path logFile();

    /** The daemon's own list of its SAs, for a failure report. */
    String describeSas();
}
