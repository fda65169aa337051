package dev.strait.gateway.ike.auth;

import dev.strait.gateway.ike.message.Payload;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;

/**
 * An IKE identity (RFC 7296 section 3.5) as configured in strongSwan's notation: an IP address literal, an FQDN,
 * user@domain (RFC822) or a distinguished name "C=CH, O=Example, CN=gw" (encoded in the order written, as strongSwan does).
 */
public record Identity(int idType, byte[] data) {

    public static Identity parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("identity is empty");
        }
        String t = text.strip();
        if (t.matches("[0-9.]+") && t.chars().filter(c -> c == '.').count() == 3 || t.contains(":") && t.matches("[0-9a-fA-F:.]+")) {
            try {
                InetAddress a = InetAddress.getByName(t);
                return new Identity(a.getAddress().length == 4 ? Payload.Identification.ID_IPV4_ADDR : Payload.Identification.ID_IPV6_ADDR, a.getAddress());
            } catch (java.net.UnknownHostException e) {
                throw new IllegalArgumentException("'" + t + "' is not a valid IP address identity");
            }
        }
        if (t.contains("=")) {
            try {
                return new Identity(Payload.Identification.ID_DER_ASN1_DN, new X500Name(BCStyle.INSTANCE, t).getEncoded());
            } catch (Exception e) {
                throw new IllegalArgumentException("'" + t + "' is not a valid distinguished name");
            }
        }
        int at = t.indexOf('@');
        if (at > 0 && at < t.length() - 1) {
            return new Identity(Payload.Identification.ID_RFC822_ADDR, t.getBytes(StandardCharsets.US_ASCII));
        }
        if (at == 0) { // strongSwan's "@fqdn" forces FQDN
            t = t.substring(1);
        }
        if (!t.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("'" + text + "' is not an FQDN, IP address, user@domain or DN");
        }
        return new Identity(Payload.Identification.ID_FQDN, t.getBytes(StandardCharsets.US_ASCII));
    }

    /** The body the AUTH payload signs: ID type, three reserved bytes, then the data (RFC 7296 section 2.15). */
    public byte[] restOfIdPayload() {
        byte[] out = new byte[4 + data.length];
        out[0] = (byte) idType;
        System.arraycopy(data, 0, out, 4, data.length);
        return out;
    }

    public boolean matches(Identity other) {
        if (other == null || idType != other.idType) {
            return false;
        }
        if (idType == Payload.Identification.ID_DER_ASN1_DN) {
            return matchKey().equals(other.matchKey());
        }
        if (idType == Payload.Identification.ID_FQDN || idType == Payload.Identification.ID_RFC822_ADDR) {
            return equalsIgnoreAsciiCase(data, other.data);
        }
        return Arrays.equals(data, other.data);
    }

    /**
     * A value that is equal for two identities exactly when they {@link #matches} each other, for hash lookups of
     * configured identities: names folded to lower case, distinguished names in BouncyCastle's normalised form.
     */
    public Object matchKey() {
        return switch (idType) {
            case Payload.Identification.ID_FQDN, Payload.Identification.ID_RFC822_ADDR -> new MatchKey(idType, new String(data, StandardCharsets.US_ASCII).toLowerCase(java.util.Locale.ROOT));
            case Payload.Identification.ID_DER_ASN1_DN -> {
                try {
                    yield new MatchKey(idType, X500Name.getInstance(data));
                } catch (RuntimeException e) {
                    yield new MatchKey(idType, "invalid-dn:" + Arrays.toString(data)); // matches nothing valid
                }
            }
            default -> new MatchKey(idType, java.util.HexFormat.of().formatHex(data));
        };
    }

    private record MatchKey(int idType, Object value) {
    }

    private static boolean equalsIgnoreAsciiCase(byte[] a, byte[] b) {
        if (a.length != b.length) {
            return false;
        }
        for (int i = 0; i < a.length; i++) {
            if (a[i] != b[i] && lower(a[i]) != lower(b[i])) {
                return false;
            }
        }
        return true;
    }

    private static int lower(byte c) {
        return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Identity i && idType == i.idType && Arrays.equals(data, i.data);
    }

    @Override
    public int hashCode() {
        return 31 * idType + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return switch (idType) {
            case Payload.Identification.ID_IPV4_ADDR, Payload.Identification.ID_IPV6_ADDR -> {
                try {
                    yield InetAddress.getByAddress(data).getHostAddress();
                } catch (java.net.UnknownHostException e) {
                    yield "invalid-address";
                }
            }
            // From the wire: it reaches logs and the tunnel's status, so control characters are escaped.
            case Payload.Identification.ID_FQDN, Payload.Identification.ID_RFC822_ADDR -> dev.strait.gateway.ike.message.LogSafe.text(new String(data, StandardCharsets.US_ASCII));
            case Payload.Identification.ID_DER_ASN1_DN -> {
                try {
                    yield X500Name.getInstance(data).toString();
                } catch (RuntimeException e) {
                    yield "invalid-dn";
                }
            }
            default -> "id-type-" + idType + "(" + data.length + " bytes)";
        };
    }
}
