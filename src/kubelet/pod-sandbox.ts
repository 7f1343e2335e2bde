// A pod's sandbox as the engine makes and remakes it (the kubelet's RunPodSandbox): the shim in
// new namespaces with the pod's tmpfs mounts, sysctls and volume ownership, the network
// attached, and the /etc files every container mounts; after the sandbox is lost, a new one on
// a new address with the same volumes; and killing one whose worker is gone.
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { Pod } from 'kubernetes-types/core/v1';
import { native } from '../native';
import { hostnameFile, hostsFile, resolvConf } from '../network/etc-files';
import type { Networking, PreparedNetwork } from '../network/networking';
import { kernelHostname } from '../plan/container';
import type { IdMapPlan } from '../runtime/idmap';
import { createSandbox, openRecorded, reapChild, type SandboxRecord } from '../runtime/sandbox';
import { ownUserns } from '../plan/userns-paths';
import { prepareFolders, sandboxMounts } from '../runtime/userns-mounts';
import { writeStateFile } from '../state/atomic-file';
import type { PodPaths } from '../state/paths';
import { volumeOwnership } from '../volume/ownership';
import type { PreparedVolume, VolumeSetup } from '../volume/volumes';
import type { PodWorker } from './pod-worker';
import { shimSysctls } from './sysctls';

export interface PodSandboxDeps {
  net: Networking;
  /** Pod IPs by pod uid, kept by the engine for status and the downward API. */
  podIPs: Map<string, string>;
  /** The pod's volumes on disk again (a recreated sandbox mounts its tmpfs anew). */
  volumes(pod: Pod, paths: PodPaths): VolumeSetup;
  /** The id map of the pod's user namespace (its own range for root's hostUsers: false), null for none. */
  idmap(pod: Pod): IdMapPlan | null;
  /** The pod's cgroup made (src/cgroups): its cgroup.procs files, for the shim. */
  podCgroup(pod: Pod): string[];
}

export class PodSandboxes {
  constructor(private readonly d: PodSandboxDeps) {}

  /** The pod's sandbox on its prepared network: the shim in new namespaces, the address attached, /etc files written. */
  async make(id: string, pod: Pod, paths: PodPaths, net: PreparedNetwork, tmpfs: { target: string; options: string }[], volumes: Map<string, PreparedVolume>): Promise<SandboxRecord> {
    if (ownUserns(net.idmap)) prepareFolders(pod, paths, net.idmap);
    const sandbox = await createSandbox(paths, {
      hostNetwork: !!pod.spec!.hostNetwork,
      hostIPC: !!pod.spec!.hostIPC,
      hostPID: !!pod.spec!.hostPID,
      hostname: kernelHostname(pod),
      idmap: net.idmap,
      joinUserPidfd: net.join?.pidfd,
      ports: net.shimPorts,
      tmpfs: [{ target: paths.shm, options: 'mode=1777,size=65536k' }, ...tmpfs],
      sysctls: shimSysctls(pod),
      fsGroup: volumeOwnership(pod, volumes),
      podMounts: ownUserns(net.idmap) ? sandboxMounts(pod, paths, volumes.values()) : undefined,
      cgroupProcs: this.d.podCgroup(pod),
    });
    const podIPs = await this.d.net.attach(id, net, sandbox.pid, paths);
    if (podIPs.length) this.d.podIPs.set(pod.metadata!.uid!, podIPs[0]);
    // Written before any container starts, so /etc/hosts names the pod's own address.
    writePodEtc(paths, pod, podIPs);
    // The sandbox is whole now (network, /etc files): an engine killed before this line finds
    // `ready: false`, and makes the sandbox again (Engine.load).
    const ready = { ...sandbox, ready: true };
    writeStateFile(paths.sandbox, JSON.stringify(ready) + '\n');
    return ready;
  }

  /**
   * A pod whose sandbox died (its shim killed) and whose restart policy wants it back: the old
   * sandbox's address and ports are released and a new sandbox is made; volumes stay.
   */
  async recreate(w: PodWorker): Promise<boolean> {
    const uid = w.pod.metadata!.uid!;
    await this.killAt(w.paths);
    this.d.net.release(w.id, this.d.net.records(w.paths), [...this.d.podIPs.keys()].some((other) => other !== uid));
    this.d.podIPs.delete(uid);
    const { tmpfs, volumes } = this.d.volumes(w.pod, w.paths);
    const net = await this.d.net.prepare(w.id, w.pod, this.d.idmap(w.pod));
    try {
      if (await w.adopt(await this.make(w.id, w.pod, w.paths, net, tmpfs, volumes))) return true;
      await this.killAt(w.paths);
    } catch (e) {
      this.d.net.undo(w.id, net, w.paths);
      throw e;
    }
    this.d.net.undo(w.id, net, w.paths);
    return false;
  }

  /** Kills the sandbox recorded in the pod's folder, if one was made and still runs. */
  async killAt(paths: PodPaths): Promise<void> {
    try {
      const sandbox = JSON.parse(fs.readFileSync(paths.sandbox, 'utf8')) as SandboxRecord;
      const fd = openRecorded(sandbox);
      if (fd !== undefined) {
        native.pidfdSendSignal(fd, 9);
        await reapChild(fd);
      }
    } catch {
      /* no sandbox was made */
    }
  }
}

/** /etc/hosts, /etc/hostname and /etc/resolv.conf of a pod, which every container mounts. */
function writePodEtc(paths: PodPaths, pod: Pod, podIPs: string[]): void {
  fs.mkdirSync(paths.etcDir, { recursive: true, mode: 0o755 });
  let hostResolv = '';
  try {
    hostResolv = fs.readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    /* no resolver configured on the host */
  }
  // hostNetwork pods see the host's names, as on the kubelet.
  const hosts = pod.spec?.hostNetwork ? readOr('/etc/hosts', hostsFile(pod, [])) : hostsFile(pod, podIPs);
  fs.writeFileSync(paths.etc('hosts'), hosts, { mode: 0o644 });
  fs.writeFileSync(paths.etc('hostname'), pod.spec?.hostNetwork ? os.hostname() + '\n' : hostnameFile(pod), { mode: 0o644 });
  fs.writeFileSync(paths.etc('resolv.conf'), resolvConf(pod, hostResolv), { mode: 0o644 });
}

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}
