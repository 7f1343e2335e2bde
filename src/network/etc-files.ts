// The files the kubelet writes for every pod and mounts into each of its containers:
// /etc/hosts (localhost, the pod's own name, hostAliases), /etc/hostname and /etc/resolv.conf
// (the host's, or the pod's dnsConfig; dnsPolicy None uses dnsConfig alone).
import type { Pod } from 'kubernetes-types/core/v1';
import { hostnameOf, kernelHostname } from '../plan/container';

const HEADER = '# Kubernetes-managed hosts file.\n';
const LOCAL = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'fe00::0\tip6-mcastprefix',
  'fe00::1\tip6-allnodes',
  'fe00::2\tip6-allrouters',
];

/** The kubelet's managed /etc/hosts (pkg/kubelet/kubelet_pods.go managedHostsFileContent). */
export function hostsFile(pod: Pod, podIPs: string[], clusterDomain = 'cluster.local'): string {
  const lines = [...LOCAL];
  const hostname = hostnameOf(pod);
  const sub = pod.spec?.subdomain;
  const ns = pod.metadata?.namespace ?? 'default';
  for (const ip of podIPs) {
    lines.push(sub ? `${ip}\t${hostname}.${sub}.${ns}.svc.${clusterDomain}\t${hostname}` : `${ip}\t${hostname}`);
  }
  const aliases = pod.spec?.hostAliases ?? [];
  if (aliases.length) {
    lines.push('', '# Entries added by HostAliases.');
    for (const a of aliases) lines.push(`${a.ip}\t${(a.hostnames ?? []).join('\t')}`);
  }
  return HEADER + lines.join('\n') + '\n';
}

export function hostnameFile(pod: Pod): string {
  return kernelHostname(pod) + '\n';
}

interface Resolv {
  nameservers: string[];
  searches: string[];
  options: { name: string; value?: string }[];
}

export function parseResolvConf(text: string): Resolv {
  const r: Resolv = { nameservers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) r.nameservers.push(rest[0]);
    else if (key === 'search' || key === 'domain') r.searches = rest;
    else if (key === 'options')
      for (const o of rest) {
        const [name, value] = o.split(':');
        r.options.push(value === undefined ? { name } : { name, value });
      }
  }
  return r;
}

/**
 * The pod's resolv.conf. Without cluster DNS, ClusterFirst falls back to the host's (as the
 * kubelet does with no --cluster-dns); dnsConfig adds to it (None: only dnsConfig). The limits
 * are the kubelet's: 3 nameservers, 32 search domains.
 */
export function resolvConf(pod: Pod, hostResolv: string): string {
  const policy = pod.spec?.dnsPolicy ?? 'ClusterFirst';
  const base = policy === 'None' ? { nameservers: [], searches: [], options: [] } : parseResolvConf(hostResolv);
  const cfg = pod.spec?.dnsConfig;
  const nameservers = [...new Set([...base.nameservers, ...(cfg?.nameservers ?? [])])].slice(0, 3);
  const searches = [...new Set([...base.searches, ...(cfg?.searches ?? [])])].slice(0, 32);
  const options = new Map(base.options.map((o) => [o.name, o.value]));
  for (const o of cfg?.options ?? []) if (o.name) options.set(o.name, o.value ?? undefined);
  const out: string[] = [];
  for (const n of nameservers) out.push(`nameserver ${n}`);
  if (searches.length) out.push(`search ${searches.join(' ')}`);
  if (options.size) out.push(`options ${[...options].map(([n, v]) => (v === undefined ? n : `${n}:${v}`)).join(' ')}`);
  return out.join('\n') + '\n';
}
