package dev.strait.gateway.ike.sa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.api.net.Cidr;
import dev.strait.gateway.ike.message.Payload.TrafficSelector;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrafficSelectorsTest {

    private static List<String> cidrs(List<TrafficSelector> ts) {
        return TrafficSelectors.toCidrs(ts).stream().map(Object::toString).toList();
    }

    @Test
    void narrowsASupersetToTheConfiguredSubnet() {
        List<TrafficSelector> proposed = TrafficSelectors.of(List.of(Cidr.parse("10.0.0.0/8")));
        List<TrafficSelector> narrowed = TrafficSelectors.narrow(proposed, List.of(Cidr.parse("10.20.0.0/24")));
        assertEquals(List.of("10.20.0.0/24"), cidrs(narrowed));
    }

    @Test
    void keepsTheProposalWhenItIsInsideTheConfiguredSubnet() {
        List<TrafficSelector> proposed = TrafficSelectors.of(List.of(Cidr.parse("10.20.0.128/25")));
        assertEquals(List.of("10.20.0.128/25"), cidrs(TrafficSelectors.narrow(proposed, List.of(Cidr.parse("10.20.0.0/24")))));
    }

    @Test
    void disjointSelectorsNarrowToNothing() {
        List<TrafficSelector> proposed = TrafficSelectors.of(List.of(Cidr.parse("192.168.1.0/24")));
        assertTrue(TrafficSelectors.narrow(proposed, List.of(Cidr.parse("10.20.0.0/24"))).isEmpty());
    }

    @Test
    void severalSubnetsOnEachSide() {
        List<TrafficSelector> proposed = TrafficSelectors.of(List.of(Cidr.parse("10.1.0.0/16"), Cidr.parse("10.2.0.0/16"),
                Cidr.parse("172.16.0.0/12")));
        List<TrafficSelector> narrowed = TrafficSelectors.narrow(proposed,
                List.of(Cidr.parse("10.1.5.0/24"), Cidr.parse("10.2.0.0/16")));
        assertEquals(List.of("10.1.5.0/24", "10.2.0.0/16"), cidrs(narrowed));
    }

    @Test
    void ipv4AndIpv6DoNotMix() {
        List<TrafficSelector> proposed = TrafficSelectors.of(List.of(Cidr.parse("fd00::/64")));
        assertTrue(TrafficSelectors.narrow(proposed, List.of(Cidr.parse("10.0.0.0/8"))).isEmpty());
        assertEquals(List.of("fd00:0:0:0:0:0:0:0/64"),
                cidrs(TrafficSelectors.narrow(proposed, List.of(Cidr.parse("fd00::/48")))));
    }

    @Test
    void rangesThatAreNotPrefixesBecomeSeveralPrefixes() {
        byte[] start = {10, 0, 0, 1};
        byte[] end = {10, 0, 0, 6};
        assertEquals(List.of("10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/31", "10.0.0.6/32"),
                TrafficSelectors.rangeToCidrs(start, end).stream().map(Object::toString).toList());
        assertEquals(List.of("0.0.0.0/0"), TrafficSelectors.rangeToCidrs(new byte[4],
                new byte[] {(byte) 255, (byte) 255, (byte) 255, (byte) 255}).stream().map(Object::toString).toList());
    }

    @Test
    void subsetCheckRejectsWiderAnswers() {
        List<TrafficSelector> offered = TrafficSelectors.of(List.of(Cidr.parse("10.10.0.0/24")));
        assertTrue(TrafficSelectors.isSubset(TrafficSelectors.of(List.of(Cidr.parse("10.10.0.0/25"))), offered));
        assertFalse(TrafficSelectors.isSubset(TrafficSelectors.of(List.of(Cidr.parse("10.10.0.0/23"))), offered));
        assertFalse(TrafficSelectors.isSubset(List.of(), offered));
    }
}
