package dev.strait.api.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The syntax alone (the gateway's ProposalParserTest covers the transforms it maps to). */
class ProposalSyntaxTest {
    @Test
    void aliasesBecomeTheCanonicalTokens() {
        ProposalSyntax.Proposal p = ProposalSyntax.ikeVariants("AES128GCM128-prfsha256-curve25519", false)
                .getFirst();
        assertEquals(List.of(new ProposalSyntax.Cipher("aes128gcm16", 128, true)), p.encr());
        assertEquals(List.of("x25519"), p.groups());
        assertTrue(ProposalSyntax.groupTokens().containsAll(p.groups()));
    }

    @Test
    void aNonAeadIkeProposalGetsThePrfsOfItsIntegrityAlgorithms() {
        ProposalSyntax.Proposal p = ProposalSyntax.ikeVariants("aes256-sha2_256-sha384-ecp384", false).getFirst();
        assertEquals(List.of("sha256", "sha384"), p.integ());
        assertEquals(List.of("prfsha256", "prfsha384"), p.prf());
        assertTrue(ProposalSyntax.prfTokens().containsAll(p.prf()));
    }

    @Test
    void optionalAdditionalKeyExchangesGiveOneVariantEach() {
        List<ProposalSyntax.Proposal> v = ProposalSyntax.espVariants("aes256gcm16-x25519-ke1_mlkem768-ke1_none", false);
        assertEquals(List.of(List.of(List.of("mlkem768")), List.of()), v.stream().map(ProposalSyntax.Proposal::additionalKes).toList());
        assertEquals(List.of(false), v.getFirst().esn());
    }

    @Test
    void refusalsSayWhy() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ProposalSyntax.ikeVariants("3des-md5-modp1024", true))
                .getMessage().contains("'3des' is refused: DES and 3DES are broken"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ProposalSyntax.espVariants("aes256-sha1", false))
                .getMessage().contains("sha1 is a legacy algorithm"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ProposalSyntax.espVariants("camellia256-sha256", false))
                .getMessage().contains("Camellia is supported for IKE only"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ProposalSyntax.ikeVariants("aes256gcm16-sha256-ecp384", false))
                .getMessage().contains("integrity algorithm 'sha256' cannot be combined with an AEAD cipher"));
    }
}
