package dev.strait.gateway.wire;

/**
 * IANA "Assigned Internet Protocol Numbers" the datapath and ESP look at: the IPv4 protocol / IPv6 next header field,
 * and ESP's Next Header (RFC 4303 section 2.6), which names the inner packet the same way.
 */
public final class IpProtocol {
    public static final int ICMP = 1;
    /** IPv4 encapsulated (in ESP: a tunnel-mode IPv4 packet). */
    public static final int IPV4 = 4;
    public static final int TCP = 6;
    public static final int UDP = 17;
    /** IPv6 encapsulated (in ESP: a tunnel-mode IPv6 packet). */
    public static final int IPV6 = 41;
    public static final int ICMPV6 = 58;
    /** IPv6-NoNxt: in ESP, a dummy packet for traffic flow confidentiality (RFC 4303 section 2.6). */
    public static final int NO_NEXT_HEADER = 59;

    private IpProtocol() {
    }
}
