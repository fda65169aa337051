package dev.strait.gateway.ike.sa;

import dev.strait.gateway.datapath.spi.Datapath;
import dev.strait.gateway.ike.auth.SignatureHash;
import dev.strait.gateway.ike.crypto.KeyDerivation;
import dev.strait.gateway.ike.crypto.PrfFunction;
import dev.strait.gateway.ike.message.IkeMessage;
import dev.strait.gateway.ike.message.Payload;
import dev.strait.gateway.ike.sa.IkeSa.Child;
import dev.strait.gateway.ike.sa.IkeSa.State;
import dev.strait.gateway.ike.sa.ProposalMatcher.EspChoice;
import dev.strait.gateway.ike.sa.ProposalMatcher.IkeChoice;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;

/**
 * What the tasks of one IKE SA may read and do on it (strongSwan's tasks get their ike_sa_t the same way): the SA's
 * state lives in {@link IkeSa} behind this interface, and a task changes it only through the actions below (the
 * set-up tasks also through {@link Setup}). Everything runs on the SA's executor.
 */
interface IkeSaContext {
    // ---------------------------------------------------------------- who and where

    String name();

    boolean initiator();

    long localSpi();

    long spiI();

    long spiR();

    State state();

    /** The tunnel this SA is for; null for a responder's SA until IKE_AUTH names it. */
    TunnelRuntime tunnel();

    /** Responder: the tunnels this SA may turn out to be for, until IDi names one. */
    List<TunnelRuntime> candidates();

    InetSocketAddress remote();

    InetSocketAddress localAddress();

    /** IKE travels on the NAT-T port (with the non-ESP marker). */
    boolean natt();

    boolean natDetected();

    /** ESP goes in UDP (RFC 3948): a NAT was detected or encapsulation is forced. */
    boolean udpEncap();

    /** RFC 7383: both sides announced fragmentation in IKE_SA_INIT. */
    boolean fragmentation();

    // ---------------------------------------------------------------- what IKE_SA_INIT and IKE_AUTH negotiated

    IkeChoice ikeChoice();

    PrfFunction prf();

    KeyDerivation.IkeKeys keys();

    /** SK keys are installed: protected messages can go both ways. */
    boolean keysInstalled();

    byte[] ni();

    byte[] nr();

    byte[] firstMessageI();

    byte[] firstMessageR();

    boolean peerSupportsChildless();

    Set<SignatureHash> peerSignatureHashes();

    List<Payload.CertReq> peerInitCertReqs();

    List<Child> children();

    Child childByInbound(int inboundSpi);

    /** This SA creates the Child SAs for the subnet pairs the peer left out (we initiated it, or its predecessor). */
    boolean drivesAdditionalChildren();

    // ---------------------------------------------------------------- what tasks do

    void state(State state);

    TaskManager tasks();

    ChildSaExchanges childSas();

    int ownFlags(boolean response);

    /** Answers the peer's request. */
    void respond(IkeMessage request, List<Payload> inner);

    /** Records why the SA failed (tunnel status, metrics, log); closes it while still being set up. */
    void fail(FailureReason reason, String message);

    void close(boolean notifyTunnel);

    void sendDeleteAndClose();

    /** Runs r after a random 1-3 s (RFC 7296 section 2.25: a retry after TEMPORARY_FAILURE). */
    void retryLater(Runnable r);

    /**
     * Derives KEYMAT (section 2.17) with the nonces of the exchange that created the child; exchangeInitiator says
     * whether we initiated that exchange (its initiator's keys come first), tsi/tsr are as that exchange named them.
     */
    default Child installChild(int inboundSpi, EspChoice esp, List<byte[]> secrets, byte[] nonceI, byte[] nonceR,
                               boolean exchangeInitiator, List<Payload.TrafficSelector> tsi, List<Payload.TrafficSelector> tsr) {
        return installChild(inboundSpi, esp, secrets, nonceI, nonceR, exchangeInitiator, tsi, tsr, Datapath.Outbound.NOW);
    }

    /**
     * secrets: the KE secret and those of the IKE_FOLLOWUP_KE exchanges, in order (RFC 9370 section 2.2.4); empty: no PFS.
     * outbound: AFTER_PEER when we answered the peer's rekey (make-before-break as responder).
     */
    Child installChild(int inboundSpi, EspChoice esp, List<byte[]> secrets, byte[] nonceI, byte[] nonceR,
                       boolean exchangeInitiator, List<Payload.TrafficSelector> tsi, List<Payload.TrafficSelector> tsr,
                       Datapath.Outbound outbound);

    void removeChild(Child c);

    /** Where ESP (and NAT keepalives) go. */
    InetSocketAddress espPeer();

    void rekeyChild(int oldInbound, dev.strait.gateway.ike.crypto.Algorithms.Group forcedGroup);

    void rekeyIke(dev.strait.gateway.ike.crypto.Algorithms.Group forcedGroup);

    void sendLivenessCheck();

    /** When the peer last sent an authenticated message (nanoTime). */
    long lastInbound();

    // ---------------------------------------------------------------- IKE SA rekeys (section 2.18)

    /** The successor of a rekey, registered by the caller; the initiator of the rekey is the new SA's initiator. */
    IkeSa successor(boolean weInitiated, long newSpiI, long newSpiR, IkeChoice choice, byte[] nonceI, byte[] nonceR,
                    List<byte[]> secrets);

    /** Moves the children to the successor and makes it the tunnel's IKE SA; this one is left REKEYED. */
    void handOver(IkeSa next);

    /**
     * What only the tasks that set an SA up (IKE_SA_INIT, IKE_INTERMEDIATE, IKE_AUTH) may change: what they
     * negotiate. The other tasks get the plain {@link IkeSaContext}.
     */
    interface Setup extends IkeSaContext {
        /** IKE_SA_INIT is done (initiator): IKE_INTERMEDIATE if additional key exchanges were chosen, then IKE_AUTH. */
        void initDone();

        /** IKE_AUTH succeeded; peerSentInitialContact: the peer restarted, so older SAs with it are stale. */
        void establish(boolean peerSentInitialContact);

        void spis(long spiI, long spiR);

        void endpoints(InetSocketAddress remote, boolean natt, InetSocketAddress localAddress);

        void nat(boolean detected, boolean udpEncap);

        void candidates(List<TunnelRuntime> candidates);

        void tunnel(TunnelRuntime tunnel);

        void ni(byte[] ni);

        void nr(byte[] nr);

        void firstMessageI(byte[] message);

        void firstMessageR(byte[] message);

        void ikeChoice(IkeChoice choice);

        void fragmentation(boolean on);

        void peerSupportsChildless(boolean supported);

        void peerSignatureHashes(Set<SignatureHash> hashes);

        void peerInitCertReqs(List<Payload.CertReq> certReqs);

        void driveAdditionalChildren();

        /** IKE SA keys from IKE_SA_INIT's shared secret, installed at once. */
        void deriveKeys(byte[] shared);

        /** New IKE SA keys (after an additional key exchange, RFC 9370), installed at once. */
        void updateKeys(KeyDerivation.IkeKeys keys);
    }
}
