package dev.strait.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.List;

/** What the operator reports on an IPsecGateway. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class GatewayStatus {
    public List<TunnelStatus.Condition> conditions = new ArrayList<>();
    public Integer tunnels;
    public Long observedGeneration;
}
