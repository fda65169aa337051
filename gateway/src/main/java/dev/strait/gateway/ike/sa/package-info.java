/**
 * IKEv2 security associations (RFC 7296) and the engine that runs them.
 *
 * <p>Where to look:
 * <ul>
 *   <li>{@link dev.strait.gateway.ike.sa.IkeEngine}: the UDP 500/4500 sockets, dispatch of messages to SAs by SPI,
 *       flood limits and cookies ({@code HalfOpenTable}, {@code Cookies}), the tunnels ({@code TunnelRuntime}) and
 *       the one timer thread.</li>
 *   <li>{@link dev.strait.gateway.ike.sa.IkeSa}: one IKE SA. It sets itself up (IKE_SA_INIT, IKE_INTERMEDIATE,
 *       IKE_AUTH, in both roles), receives every message and answers INFORMATIONAL exchanges (DELETE, liveness), and
 *       holds the keys and Child SAs. The rest of its work is done by collaborators, one job each, modelled on
 *       strongSwan's tasks:
 *       <ul>
 *         <li>{@code ExchangeWindow}: message IDs, the one outstanding request, retransmissions, queued requests,
 *             the cached last response;</li>
 *         <li>{@code SkChannel}: SK and SKF (RFC 7383) sealing and opening, fragment reassembly;</li>
 *         <li>{@code IkeRekeying}: IKE SA rekeys in both roles, with IKE_FOLLOWUP_KE chains (RFC 9370) and
 *             collisions (RFC 7296 section 2.8.2);</li>
 *         <li>{@code ChildSaExchanges}: our Child SA rekeys and additional Child SAs (sections 1.3, 2.8.1) and
 *             deletes; {@code ChildSaResponder}: the peer's;</li>
 *         <li>{@code AdditionalKeyExchanges}: the key exchange answers and IKE_FOLLOWUP_KE requests they share;</li>
 *         <li>{@code SaLifetimes}: time, byte/packet and liveness schedules; {@code SaTimers}: the timers an SA
 *             holds, all cancelled when it closes or is replaced (a queued timer keeps the SA and its keys alive).</li>
 *       </ul></li>
 *   <li>Everything runs on the SA's {@code SerialExecutor}: one task at a time per SA, virtual threads across SAs,
 *       so SA state needs no locks.</li>
 * </ul>
 */
package dev.strait.gateway.ike.sa;
