package dev.strait.gateway.datapath.packet;

/** IANA "Assigned Internet Protocol Numbers" the datapath looks at (the IPv4 protocol / IPv6 next header field). */
final class IpProtocol {
    static final int ICMP = 1;
    static final int TCP = 6;
    static final int UDP = 17;
    static final int ICMPV6 = 58;

    private IpProtocol() {
    }
}
