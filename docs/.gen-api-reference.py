import yaml
BS='\\|'
out=["# API reference: strait.dev/v1alpha1", "",
"Generated from the CRDs in `crds/` (themselves generated from `api/src/main/java/dev/strait/api/v1alpha1`).",
"Defaults are the Java model's (applied when the operator and gateway read the resource; the API server stores the field empty); *validation* is the schema's. The operator and the gateway validate further",
"(proposal syntax and refused algorithms, CIDR host bits, subnet overlaps): those failures show as the `ConfigValid`",
"condition's reason, see [troubleshooting](troubleshooting.md). The gateway's standalone YAML (`examples/standalone/gateway.yaml`)",
"uses the same tunnel fields plus `name`, with `auth.psk.file`/`value` instead of `secretRef`.", ""]
DEFAULTS={
 'spec.ike.proposals':['aes256gcm16-prfsha384-x25519','aes256gcm16-prfsha384-ecp384','aes256gcm16-prfsha384-modp3072'],
 'spec.ike.rekeyAfter':'4h','spec.ike.dpd.interval':'30s','spec.ike.dpd.timeout':'120s','spec.ike.fragmentation':True,'spec.ike.childless':'Never','spec.esp.childSas':'Combined',
 'spec.esp.proposals':['aes256gcm16','chacha20poly1305'],'spec.esp.rekeyAfter':'1h','spec.initiation':'Start',
 'spec.encapsulation':'Auto','spec.legacyAlgorithms':False,'spec.peer.port':500,
 'spec.replicas':1,'spec.hostNetwork':False,'spec.service.type':'LoadBalancer','spec.datapath.mode':'Userspace',
 'spec.image':'operator --gateway-image (chart: gateway.image)','spec.datapath.mtu':'path MTU minus ESP overhead'}
def walk(prefix, node, req, rows):
    for k,v in node.get('properties',{}).items():
        path=prefix+"."+k if prefix else k
        t=v.get('type','object'); it=v.get('items',{})
        if t=='array': t="[]"+it.get('type','object')
        val=[]
        if k in req: val.append('required')
        for key in ('enum','pattern','minimum','maximum','minLength','maxLength'):
            if key in v:
                val.append('one of ' + ', '.join('`%s`'%e for e in v[key]) if key=='enum' else '%s: `%s`'%(key,v[key]))
        if 'pattern' in it: val.append('items pattern: `%s`'%it['pattern'])
        if 'enum' in it: val.append('items one of ' + ', '.join('`%s`'%e for e in it['enum']))
        d=v.get('default', DEFAULTS.get(path))
        ds='' if d is None else (d if isinstance(d,str) and ' ' in d else '`%s`'%yaml.safe_dump(d, default_flow_style=True, width=1000).replace('\n...','').strip())
        desc=(v.get('description','') or '').replace('|',BS)
        rows.append('| `%s` | %s | %s | %s | %s |'%(path,t,ds,'; '.join(val).replace('|',BS),desc))
        if t=='object' and 'properties' in v: walk(path, v, v.get('required',[]), rows)
        if t.startswith('[]') and 'properties' in it: walk(path+'[]', it, it.get('required',[]), rows)
for f,title in [('crds/ipsectunnels.strait.dev-v1.yml','IPsecTunnel (short name `ipt`)'),('crds/ipsecgateways.strait.dev-v1.yml','IPsecGateway (short name `ipgw`)')]:
    c=yaml.safe_load(open(f)); v=c['spec']['versions'][0]; s=v['schema']['openAPIV3Schema']
    out += ["## "+title, ""]
    cols=v.get('additionalPrinterColumns',[])
    if cols: out += ["`kubectl get` columns: " + ", ".join(x['name'] for x in cols) + ".", ""]
    for part in ('spec','status'):
        if part not in s['properties']: continue
        out += ["### "+part, "", "| field | type | default | validation | description |", "| --- | --- | --- | --- | --- |"]
        rows=[]; walk(part, s['properties'][part], s['properties'][part].get('required',[]), rows)
        out += rows + [""]
out += ["## Status of an IPsecTunnel", "",
"`status.phase`: `Pending` (not yet negotiated), `Connecting`, `Established` (IKE SA and Child SA up), `Degraded` (IKE SA without a Child SA), `Failed`.",
"`status.conditions[type=ConfigValid]`: `True`/`Valid` once the operator rendered the tunnel into its gateway's config, else `False` with one of the reasons in [troubleshooting](troubleshooting.md).",
"`status.lastError`: the gateway's last negotiation error, in words.", "",
"## What changes restart the gateway pods", "",
"Changes to IPsecTunnels (add, edit, delete) and to the Secrets they name (PSK rotation, a renewed certificate or CA)",
"reach the running gateway pods through their config Secret within about a second, without a restart: only the",
"changed tunnels re-establish, the others keep their SAs. The pods roll only when the IPsecGateway's own spec changes",
"what a gateway reads at start: `spec.image`, `spec.datapath`, `spec.ike.dos`, `spec.replicas` between 1 and 2 (the",
"lease), and the pod fields (`nodeSelector`, `tolerations`, `resources`, `hostNetwork`). See",
"[operations](operations.md#config-changes-without-restarts).", ""]
open('docs/api-reference.md','w').write('\n'.join(out))
