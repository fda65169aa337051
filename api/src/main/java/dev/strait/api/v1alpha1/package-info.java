/**
 * The tunnel and gateway model, version v1alpha1. These classes are the single source of field names:
 * the operator's CRDs are generated from them and the gateway reads the same shape from its YAML file,
 * so what the operator renders is exactly what the gateway parses.
 */
package dev.strait.api.v1alpha1;
