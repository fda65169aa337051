package dev.strait.gateway.ike.sa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.api.net.Cidr;
import dev.strait.gateway.ike.message.Payload.TrafficSelector;
import dev.strait.gateway.ike.sa.SubnetPairs.Carried;
import dev.strait.gateway.ike.sa.SubnetPairs.Pair;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SubnetPairsTest {
    private static List<Cidr> cidrs(String... s) {
        return Arrays.stream(s).map(Cidr::parse).toList();
    }

    private static List<TrafficSelector> ts(String... s) {
        return TrafficSelectors.of(cidrs(s));
    }

    private static Pair pair(String l, String r) {
        return new Pair(Cidr.parse(l), Cidr.parse(r));
    }

    @Test
    void pairsOfDifferentFamiliesAreNotPairs() {
        assertEquals(List.of(pair("10.10.0.0/24", "10.20.0.0/24"), pair("fd00:a::/64", "fd00:b::/64")),
                SubnetPairs.all(cidrs("10.10.0.0/24", "fd00:a::/64"), cidrs("10.20.0.0/24", "fd00:b::/64")));
    }

    @Test
    void aChildSaNarrowedToOneRemoteSubnetLeavesTheOtherUncovered() {
        List<Carried> children = List.of(new Carried(ts("10.10.0.0/24"), ts("10.20.0.0/24")));
        assertEquals(List.of(pair("10.10.0.0/24", "10.21.0.0/24")),
                SubnetPairs.uncovered(cidrs("10.10.0.0/24"), cidrs("10.20.0.0/24", "10.21.0.0/24"), children));
    }

    @Test
    void aChildSaCarriesTheCrossProductOfItsSelectors() {
        List<Carried> children = List.of(new Carried(ts("10.10.0.0/24", "10.11.0.0/24"), ts("10.20.0.0/24", "10.21.0.0/24")));
        assertTrue(SubnetPairs.uncovered(cidrs("10.10.0.0/24", "10.11.0.0/24"), cidrs("10.20.0.0/24", "10.21.0.0/24"),
                children).isEmpty());
    }

    @Test
    void adjacentSelectorsTogetherCoverASubnetButAGapDoesNot() {
        assertTrue(SubnetPairs.contains(ts("10.20.0.128/25", "10.20.0.0/25"), Cidr.parse("10.20.0.0/24").start(),
                Cidr.parse("10.20.0.0/24").end()));
        assertFalse(SubnetPairs.contains(ts("10.20.0.0/25", "10.20.0.192/26"), Cidr.parse("10.20.0.0/24").start(),
                Cidr.parse("10.20.0.0/24").end()));
        assertTrue(SubnetPairs.contains(ts("0.0.0.0/0"), Cidr.parse("10.20.0.0/24").start(), Cidr.parse("10.20.0.0/24").end()));
        assertFalse(SubnetPairs.contains(ts("::/0"), Cidr.parse("10.20.0.0/24").start(), Cidr.parse("10.20.0.0/24").end()),
                "an IPv6 selector never covers IPv4");
    }

    @Test
    void aChildSaNarrowedToPartOfTheLocalSubnetDoesNotCoverThePair() {
        List<Carried> children = List.of(new Carried(ts("10.10.0.0/25"), ts("10.20.0.0/24")));
        assertEquals(List.of(pair("10.10.0.0/24", "10.20.0.0/24")),
                SubnetPairs.uncovered(cidrs("10.10.0.0/24"), cidrs("10.20.0.0/24"), children));
    }

    @Test
    void aNewChildSaInsideAnExistingOneIsRedundant() {
        List<Carried> existing = List.of(new Carried(ts("10.10.0.0/24"), ts("10.20.0.0/24")));
        assertTrue(SubnetPairs.redundant(new Carried(ts("10.10.0.0/25"), ts("10.20.0.0/24")), existing));
        assertFalse(SubnetPairs.redundant(new Carried(ts("10.10.0.0/24"), ts("10.21.0.0/24")), existing));
        assertFalse(SubnetPairs.redundant(new Carried(ts("10.10.0.0/24"), ts("10.20.0.0/24", "10.21.0.0/24")), existing));
    }
}
