package dev.strait.gateway.ike.crypto;

import java.util.List;

/** One configured ESP proposal; groups empty = no PFS. esn lists the accepted ESN settings (false = no ESN). */
public record EspProposal(List<IkeProposal.EncrChoice> encr, List<Algorithms.Integ> integ, List<Algorithms.Group> groups,
                          List<Boolean> esn, List<List<Algorithms.Group>> additionalKes) {
}
