package dev.strait.gateway.ike.sa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.gateway.ike.crypto.Algorithms.Encr;
import dev.strait.gateway.ike.crypto.Algorithms.Group;
import dev.strait.gateway.ike.crypto.Algorithms.Integ;
import dev.strait.gateway.ike.crypto.Algorithms.Prf;
import dev.strait.gateway.ike.crypto.EspProposal;
import dev.strait.gateway.ike.crypto.IkeProposal;
import dev.strait.gateway.ike.crypto.IkeProposal.EncrChoice;
import dev.strait.gateway.ike.message.Payload;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProposalMatcherTest {
    static final IkeProposal GCM_ECP384 = new IkeProposal(List.of(new EncrChoice(Encr.AES_GCM_16, 256)),
            List.of(Prf.HMAC_SHA2_384), List.of(), List.of(Group.ECP_384, Group.CURVE25519), List.of());
    static final IkeProposal CBC_MODP = new IkeProposal(List.of(new EncrChoice(Encr.AES_CBC, 256)),
            List.of(Prf.HMAC_SHA2_256), List.of(Integ.HMAC_SHA2_256_128), List.of(Group.MODP_3072), List.of());
    static final EspProposal ESP_GCM_PFS = new EspProposal(List.of(new EncrChoice(Encr.AES_GCM_16, 256)), List.of(),
            List.of(Group.MODP_3072), List.of(false), List.of());

    @Test
    void picksThePeersFirstAcceptableProposal() {
        List<Payload.Proposal> offer = ProposalMatcher.ikeOffer(List.of(CBC_MODP, GCM_ECP384), new byte[0]);
        var choice = ProposalMatcher.selectIke(offer, List.of(GCM_ECP384, CBC_MODP), null).orElseThrow();
        assertEquals(Encr.AES_CBC, choice.encr().alg());
        assertEquals(Integ.HMAC_SHA2_256_128, choice.integ());
        assertEquals("aes256-sha256-prfsha256-modp3072", choice.describe());
        assertEquals(1, choice.wire().number());
    }

    @Test
    void prefersTheGroupOfTheReceivedKeyExchange() {
        List<Payload.Proposal> offer = ProposalMatcher.ikeOffer(List.of(GCM_ECP384), new byte[0]);
        var choice = ProposalMatcher.selectIke(offer, List.of(GCM_ECP384), Group.CURVE25519.id).orElseThrow();
        assertEquals(Group.CURVE25519, choice.group());
        // Without a matching KE the first acceptable group is chosen and the caller sends INVALID_KE_PAYLOAD.
        var other = ProposalMatcher.selectIke(offer, List.of(GCM_ECP384), Group.MODP_2048.id).orElseThrow();
        assertEquals(Group.ECP_384, other.group());
    }

    @Test
    void noCommonProposalIsEmpty() {
        List<Payload.Proposal> offer = ProposalMatcher.ikeOffer(List.of(CBC_MODP), new byte[0]);
        assertTrue(ProposalMatcher.selectIke(offer, List.of(GCM_ECP384), null).isEmpty());
    }

    @Test
    void keyLengthsMustMatch() {
        IkeProposal aes128 = new IkeProposal(List.of(new EncrChoice(Encr.AES_GCM_16, 128)), List.of(Prf.HMAC_SHA2_384),
                List.of(), List.of(Group.ECP_384), List.of());
        List<Payload.Proposal> offer = ProposalMatcher.ikeOffer(List.of(aes128), new byte[0]);
        assertTrue(ProposalMatcher.selectIke(offer, List.of(GCM_ECP384), null).isEmpty());
    }

    @Test
    void espInIkeAuthCarriesNoKeyExchange() {
        List<Payload.Proposal> offer = ProposalMatcher.espOffer(List.of(ESP_GCM_PFS), 0x12345678, false);
        assertTrue(offer.getFirst().transforms().stream().noneMatch(t -> t.transformType() == 4));
        var choice = ProposalMatcher.selectEsp(offer, List.of(ESP_GCM_PFS), false).orElseThrow();
        assertNull(choice.group());
        assertEquals(0x12345678, choice.peerSpi());
        assertEquals("aes256gcm16", choice.describe());
    }

    @Test
    void espWithPfsNeedsAMatchingGroup() {
        List<Payload.Proposal> offer = ProposalMatcher.espOffer(List.of(ESP_GCM_PFS), 7, true);
        assertEquals(Group.MODP_3072, ProposalMatcher.selectEsp(offer, List.of(ESP_GCM_PFS), true).orElseThrow().group());
        EspProposal ecp = new EspProposal(ESP_GCM_PFS.encr(), List.of(), List.of(Group.ECP_256), List.of(false), List.of());
        assertTrue(ProposalMatcher.selectEsp(offer, List.of(ecp), true).isEmpty());
    }

    @Test
    void answersMustContainOneTransformPerType() {
        List<Payload.Proposal> offer = ProposalMatcher.ikeOffer(List.of(GCM_ECP384), new byte[0]);
        assertTrue(ProposalMatcher.acceptIkeAnswer(new Payload.Sa(offer), List.of(GCM_ECP384)).isEmpty(),
                "an answer listing two groups is not a choice");
        var single = ProposalMatcher.selectIke(offer, List.of(GCM_ECP384), null).orElseThrow().wire();
        assertTrue(ProposalMatcher.acceptIkeAnswer(new Payload.Sa(List.of(single)), List.of(GCM_ECP384)).isPresent());
    }

    @Test
    void optionalAdditionalKeyExchangeMatchesHybridAndClassicalPeers() {
        String text = "aes256gcm16-prfsha384-x25519-ke1_mlkem768-ke1_none";
        List<IkeProposal> ours = dev.strait.gateway.ike.crypto.ProposalParser.parseIkeVariants(text, false);
        IkeProposal hybrid = ours.getFirst();
        IkeProposal classical = ours.getLast();
        assertEquals(List.of(List.of(Group.ML_KEM_768)), hybrid.additionalKes());
        assertEquals(List.of(), classical.additionalKes());
        byte[] spi = new byte[8];
        // A hybrid peer gets ML-KEM, a classical one the classical variant.
        assertEquals(List.of(Group.ML_KEM_768), ProposalMatcher.selectIke(ProposalMatcher.ikeOffer(List.of(hybrid), spi), ours,
                Group.CURVE25519.id).orElseThrow().additionalKes());
        assertEquals(List.of(), ProposalMatcher.selectIke(ProposalMatcher.ikeOffer(List.of(classical), spi), ours,
                Group.CURVE25519.id).orElseThrow().additionalKes());
        // strongSwan's own ke1_mlkem768-ke1_none: one proposal whose ADDKE1 also lists NONE; we prefer the exchange.
        Payload.Proposal p = ProposalMatcher.ikeOffer(List.of(hybrid), spi).getFirst();
        List<Payload.Transform> t = new java.util.ArrayList<>(p.transforms());
        t.add(new Payload.Transform(Payload.Transform.TYPE_ADDITIONAL_KE_1, 0, null));
        Payload.Proposal withNone = new Payload.Proposal(1, p.protocolId(), spi, t);
        assertEquals(List.of(Group.ML_KEM_768), ProposalMatcher.selectIke(List.of(withNone), ours, Group.CURVE25519.id)
                .orElseThrow().additionalKes());
        // ...and a classical-only tunnel still takes that offer without the exchange.
        assertEquals(List.of(), ProposalMatcher.selectIke(List.of(withNone), List.of(classical), Group.CURVE25519.id)
                .orElseThrow().additionalKes());
    }
}
