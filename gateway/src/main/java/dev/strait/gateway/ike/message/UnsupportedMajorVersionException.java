package dev.strait.gateway.ike.message;

/**
 * The header's major version is not 2. Carries the header so the engine can answer with
 * INVALID_MAJOR_VERSION using the sender's SPIs and message ID (RFC 7296 section 2.5).
 */
public final class UnsupportedMajorVersionException extends MalformedMessageException {
    private final transient IkeHeader header;

    public UnsupportedMajorVersionException(IkeHeader header) {
        super("unsupported IKE major version " + header.majorVersion() + " (only 2 is supported)");
        this.header = header;
    }

    public IkeHeader header() {
        return header;
    }
}
