package dev.strait.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/** A tunnel in the gateway's YAML: the IPsecTunnel spec plus the name (and, from the operator, its origin). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"name", "namespace", "generation"})
public class TunnelConfig extends TunnelSpec {
    public String name;
    /** Namespace of the IPsecTunnel resource, when rendered by the operator. */
    public String namespace;
    /** metadata.generation of the IPsecTunnel, so status can carry observedGeneration. */
    public Long generation;
}
