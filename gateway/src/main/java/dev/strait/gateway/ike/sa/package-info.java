/**
 * IKEv2 security associations (RFC 7296) and the engine that runs them.
 *
 * <p>Where to look:
 * <ul>
 *   <li>{@link dev.strait.gateway.ike.sa.IkeEngine}: the UDP 500/4500 sockets, dispatch of messages to SAs by SPI,
 *       flood limits and cookies ({@code HalfOpenTable}, {@code Cookies}), the tunnels ({@code TunnelRuntime}) and
 *       the one timer thread.</li>
 *   <li>{@link dev.strait.gateway.ike.sa.IkeSa}: one IKE SA, its state private behind
 *       {@code IkeSaContext}, the narrow interface its tasks get (what they may read and do; the set-up tasks get
 *       {@code IkeSaContext.Setup}, which adds what they negotiate). Its work is done
 *       by tasks, as in strongSwan's libcharon ({@code task_t}, {@code task_manager_t}):
 *       <ul>
 *         <li>{@code IkeTask}: one exchange we initiate: {@code buildRequest(messageId)} and
 *             {@code processResponse}; {@code IkeTask.Unprotected} for IKE_SA_INIT (raw bytes, needed for AUTH);
 *             {@code IkeTask.Responder}: the peer's requests of one exchange type;</li>
 *         <li>{@code TaskManager}: message IDs, the one outstanding task, retransmissions, the queued tasks, the
 *             cached last response, and the dispatch of the peer's requests to the responder of their type;</li>
 *         <li>{@code IkeInitExchange}, {@code IkeAuthExchange} (IKE_INTERMEDIATE, IKE_AUTH),
 *             {@code InformationalExchange} (deletes, liveness): both roles;</li>
 *         <li>{@code IkeRekeying}: IKE SA rekeys in both roles, with IKE_FOLLOWUP_KE chains (RFC 9370) and
 *             collisions (RFC 7296 section 2.8.2);</li>
 *         <li>{@code ChildSaExchanges}: our Child SA rekeys and additional Child SAs (sections 1.3, 2.8.1) and
 *             deletes; {@code ChildSaResponder}: the peer's CREATE_CHILD_SA and IKE_FOLLOWUP_KE;</li>
 *         <li>{@code AdditionalKeyExchanges}: the key exchange answers and IKE_FOLLOWUP_KE requests they share;</li>
 *         <li>{@code SkChannel}: SK and SKF (RFC 7383) sealing and opening, fragment reassembly;</li>
 *         <li>{@code SaLifetimes}: time, byte/packet and liveness schedules; {@code SaTimers}: the timers an SA
 *             holds, all cancelled when it closes or is replaced (a queued timer keeps the SA and its keys alive).</li>
 *       </ul></li>
 *   <li>Everything runs on the SA's {@code SerialExecutor}: one task at a time per SA, virtual threads across SAs,
 *       so SA state needs no locks.</li>
 * </ul>
 */
package dev.strait.gateway.ike.sa;
