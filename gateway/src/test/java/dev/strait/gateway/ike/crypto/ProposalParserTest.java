package dev.strait.gateway.ike.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.gateway.ike.crypto.Algorithms.Encr;
import dev.strait.gateway.ike.crypto.Algorithms.Group;
import dev.strait.gateway.ike.crypto.Algorithms.Integ;
import dev.strait.gateway.ike.crypto.Algorithms.Prf;
import dev.strait.gateway.ike.crypto.IkeProposal.EncrChoice;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ProposalParserTest {

    @Test
    void aeadIkeProposal() {
        IkeProposal p = ProposalParser.parseIke("aes256gcm16-prfsha384-modp3072", false);
        assertEquals(List.of(new EncrChoice(Encr.AES_GCM_16, 256)), p.encr());
        assertEquals(List.of(Prf.HMAC_SHA2_384), p.prf());
        assertEquals(List.of(), p.integ());
        assertEquals(List.of(Group.MODP_3072), p.groups());
        assertEquals(List.of(), p.additionalKes());
        assertEquals("aes256gcm16-prfsha384-modp3072", ProposalFormatter.format(p));
    }

    @Test
    void nonAeadIkeProposalDerivesPrfFromIntegrity() {
        IkeProposal p = ProposalParser.parseIke("aes256-aes128-sha256-sha384-ecp384-x25519", false);
        assertEquals(List.of(new EncrChoice(Encr.AES_CBC, 256), new EncrChoice(Encr.AES_CBC, 128)), p.encr());
        assertEquals(List.of(Integ.HMAC_SHA2_256_128, Integ.HMAC_SHA2_384_192), p.integ());
        assertEquals(List.of(Prf.HMAC_SHA2_256, Prf.HMAC_SHA2_384), p.prf());
        assertEquals(List.of(Group.ECP_384, Group.CURVE25519), p.groups());
        // an explicit prf wins over derivation
        assertEquals(List.of(Prf.HMAC_SHA2_512), ProposalParser.parseIke("aes256-sha256-prfsha512-ecp256", false).prf());
    }

    @Test
    void aliasesAndAdditionalKeyExchanges() {
        IkeProposal p = ProposalParser.parseIke(
                "AES128GCM128-chacha20poly1305-prfsha256-curve25519-curve448-ke1_mlkem768-ke1_mlkem1024-ke2_ecp521",
                false);
        assertEquals(List.of(new EncrChoice(Encr.AES_GCM_16, 128), new EncrChoice(Encr.CHACHA20_POLY1305, 256)),
                p.encr());
        assertEquals(List.of(Group.CURVE25519, Group.CURVE448), p.groups());
        assertEquals(List.of(List.of(Group.ML_KEM_768, Group.ML_KEM_1024), List.of(Group.ECP_521)), p.additionalKes());
        assertEquals("aes128gcm16-chacha20poly1305-prfsha256-x25519-x448-ke1_mlkem768-ke1_mlkem1024-ke2_ecp521",
                ProposalFormatter.format(p));
    }

    @ParameterizedTest
    @ValueSource(strings = {"aes256gcm16-prfsha384-modp3072", "aes128-sha256-prfsha256-modp2048",
        "camellia256-sha512-prfsha512-ecp521-modp4096", "aes192gcm16-prfsha256-x448-ke1_mlkem1024",
        "chacha20poly1305-prfsha256-mlkem768"})
    void ikeFormatRoundTrips(String text) {
        IkeProposal p = ProposalParser.parseIke(text, false);
        assertEquals(text, ProposalFormatter.format(p));
        assertEquals(p, ProposalParser.parseIke(ProposalFormatter.format(p), false));
    }

    @Test
    void espProposals() {
        EspProposal gcm = ProposalParser.parseEsp("aes256gcm16-modp3072", false);
        assertEquals(List.of(new EncrChoice(Encr.AES_GCM_16, 256)), gcm.encr());
        assertEquals(List.of(Group.MODP_3072), gcm.groups());
        assertEquals(List.of(false), gcm.esn(), "ESP default is noesn");
        assertEquals("aes256gcm16-modp3072", ProposalFormatter.format(gcm));

        EspProposal cbc = ProposalParser.parseEsp("aes128-sha256-esn-noesn", false);
        assertEquals(List.of(Integ.HMAC_SHA2_256_128), cbc.integ());
        assertEquals(List.of(), cbc.groups(), "no group = no PFS");
        assertEquals(List.of(true, false), cbc.esn());
        assertEquals("aes128-sha256-esn-noesn", ProposalFormatter.format(cbc));
        assertEquals(cbc, ProposalParser.parseEsp(ProposalFormatter.format(cbc), false));

        EspProposal pq = ProposalParser.parseEsp("aes256gcm16-x25519-ke1_mlkem768-esn", false);
        assertEquals(List.of(List.of(Group.ML_KEM_768)), pq.additionalKes());
        assertEquals(List.of(true), pq.esn());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "ike | aes256-3des-sha256-modp2048 | '3des' is refused",
        "ike | des-sha256-modp2048 | 'des' is refused",
        "ike | blowfish128-sha256-modp2048 | 'blowfish128' is refused",
        "ike | aes256-md5-modp2048 | 'md5' is refused",
        "ike | aes256-sha256-prfmd5-modp2048 | 'prfmd5' is refused",
        "ike | aes256-sha256-modp1024 | 'modp1024' is refused",
        "ike | aes256-sha256-modp1536 | 'modp1536' is refused",
        "ike | aes256-sha256-modp768 | 'modp768' is refused",
        "ike | aes256-sha256-ecp384-ke1_modp1024 | 'modp1024' is refused",
        "ike | aes256-sha256-frobnicate-modp2048 | unknown algorithm 'frobnicate'",
        "ike | aes256-sha256-ke1_foo-modp2048 | unknown key exchange method 'foo'",
        "ike | aes256-sha256-ke8_mlkem768-modp2048 | unknown algorithm 'ke8_mlkem768'",
        "ike | aes256gcm16-modp2048 | needs an explicit prf",
        "ike | aes256gcm16-sha256-prfsha256-modp2048 | cannot be combined with an AEAD cipher",
        "ike | aes256-prfsha256-modp2048 | missing integrity algorithm",
        "ike | aes256-sha256 | missing key exchange group",
        "ike | sha256-prfsha256-modp2048 | missing encryption algorithm",
        "ike | aes256gcm16-aes256-sha256-prfsha256-modp2048 | AEAD and non-AEAD",
        "ike | aes256--sha256-modp2048 | empty token",
        "ike | aes256-sha256-modp2048-esn | ESN tokens belong to ESP",
        "ike | aes256-sha256-ecp256-ke2_mlkem768 | without ke1_",
        "ike | aes256-sha1-modp2048 | sha1 is a legacy algorithm; set legacyAlgorithms: true to allow it",
        "ike | aes256gcm16-prfsha1-modp2048 | prfsha1 is a legacy algorithm; set legacyAlgorithms: true to allow it",
        "esp | aes256gcm16-prfsha256-modp2048 | ESP proposals have no prf",
        "esp | aes256-modp2048 | missing integrity algorithm",
        "esp | 3des-sha256 | '3des' is refused",
        "esp | aes256-sha1 | sha1 is a legacy algorithm",
        "esp | camellia256-sha256 | Camellia is supported for IKE only, not for ESP",
        "esp |  | empty proposal",
    })
    void refusals(String kind, String text, String reason) {
        Executable parse = kind.equals("ike") ? () -> ProposalParser.parseIke(text, false) : () -> ProposalParser.parseEsp(text, false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, parse);
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }

    @Test
    void legacySha1OnlyWhenAllowed() {
        IkeProposal p = ProposalParser.parseIke("aes128-sha1-modp2048", true);
        assertEquals(List.of(Integ.HMAC_SHA1_96), p.integ());
        assertEquals(List.of(Prf.HMAC_SHA1), p.prf());
        assertEquals(List.of(Prf.HMAC_SHA1), ProposalParser.parseIke("aes128gcm16-prfsha1-ecp256", true).prf());
        assertEquals(List.of(Integ.HMAC_SHA1_96), ProposalParser.parseEsp("aes128-sha1", true).integ());
        // legacy never unlocks the broken algorithms
        assertThrows(IllegalArgumentException.class, () -> ProposalParser.parseIke("3des-sha1-modp2048", true));
        assertThrows(IllegalArgumentException.class, () -> ProposalParser.parseIke("aes128-sha1-modp1024", true));
    }

    @Test
    void keNNoneMakesAnAdditionalKeyExchangeOptional() {
        List<IkeProposal> v = ProposalParser.parseIkeVariants("aes256gcm16-prfsha384-x25519-ke1_mlkem768-ke1_none-ke2_mlkem1024-ke2_none", false);
        assertEquals(List.of(List.of(List.of(Algorithms.Group.ML_KEM_768), List.of(Algorithms.Group.ML_KEM_1024)),
                List.of(List.of(Algorithms.Group.ML_KEM_768)), List.of()), v.stream().map(IkeProposal::additionalKes).toList());
        assertEquals(List.of(), ProposalParser.parseIke("aes256gcm16-prfsha384-x25519-ke1_none", false).additionalKes());
        assertEquals(2, ProposalParser.parseEspVariants("aes256gcm16-x25519-ke1_mlkem768-ke1_none", false).size());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ProposalParser.parseIke("aes256gcm16-prfsha384-x25519-ke1_none-ke1_mlkem768-ke2_mlkem1024", false));
        assertTrue(e.getMessage().contains("optional additional key exchanges must come last"), e.getMessage());
    }
}
