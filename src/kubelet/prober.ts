// Probes as the kubelet's prober runs them: one worker per container and probe kind, each
// waiting initialDelaySeconds after the container started, then probing every periodSeconds
// with timeoutSeconds, and flipping its result after successThreshold successes or
// failureThreshold failures in a row. A startup probe holds liveness and readiness back; a
// failed liveness or startup probe restarts the container; readiness drives `ready`.
import type { Container, Probe } from 'kubernetes-types/core/v1';

export type ProbeKind = 'startup' | 'liveness' | 'readiness';

export interface ProbeOutcome {
  result: 'success' | 'failure' | 'unknown';
  output: string;
}

export interface ProbeHost {
  /** Runs one probe of the container's current attempt. */
  run(container: Container, probe: Probe, timeoutMs: number): Promise<ProbeOutcome>;
  /** A liveness or startup probe failed past its threshold: the pod's decisions kill the container. */
  failed(container: Container, kind: ProbeKind): void;
  /** `ready` or `started` changed. */
  changed(): void;
  event(type: 'Normal' | 'Warning', reason: string, message: string, container: Container): void;
}

const PROBE_NAMES: Record<ProbeKind, string> = { startup: 'Startup', liveness: 'Liveness', readiness: 'Readiness' };

class Worker {
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private successes = 0;
  private failures = 0;
  /** The last settled result; undefined until one is reached. */
  result?: boolean;

  constructor(
    private readonly owner: ContainerProbes,
    readonly kind: ProbeKind,
    private readonly probe: Probe,
  ) {}

  start(startedAtMs: number): void {
    const delay = Math.max(0, startedAtMs + (this.probe.initialDelaySeconds ?? 0) * 1000 - Date.now());
    this.schedule(delay);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    if (!this.owner.mayRun(this.kind)) {
      this.schedule(100); // a startup probe has not passed yet
      return;
    }
    const timeoutMs = (this.probe.timeoutSeconds ?? 1) * 1000;
    let outcome: ProbeOutcome;
    try {
      outcome = await this.owner.host.run(this.owner.container, this.probe, timeoutMs);
    } catch (e) {
      outcome = { result: 'unknown', output: (e as Error).message };
    }
    if (this.stopped) return;
    // `unknown` (the probe could not run) counts as neither, as on the kubelet.
    if (outcome.result === 'success') {
      this.failures = 0;
      this.successes++;
      const needed = this.kind === 'readiness' ? (this.probe.successThreshold ?? 1) : 1;
      if (this.successes >= needed && this.result !== true) this.settle(true);
    } else if (outcome.result === 'failure') {
      this.successes = 0;
      this.failures++;
      this.owner.host.event('Warning', 'Unhealthy', `${PROBE_NAMES[this.kind]} probe failed: ${outcome.output.trim()}`, this.owner.container);
      if (this.failures >= (this.probe.failureThreshold ?? 3) && this.result !== false) this.settle(false);
    }
    if (this.kind === 'startup' && this.result === true) return; // done for this container's life
    if (this.kind !== 'readiness' && this.result === false) return; // the container is being restarted
    this.schedule((this.probe.periodSeconds ?? 10) * 1000);
  }

  private settle(ok: boolean): void {
    this.result = ok;
    if (!ok && this.kind !== 'readiness') this.owner.host.failed(this.owner.container, this.kind);
    else this.owner.host.changed();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}

/** The probe workers of one attempt of one container. */
class ContainerProbes {
  readonly workers = new Map<ProbeKind, Worker>();

  constructor(
    readonly host: ProbeHost,
    readonly container: Container,
    readonly attempt: number,
    startedAtMs: number,
  ) {
    const probes: [ProbeKind, Probe | undefined][] = [
      ['startup', container.startupProbe],
      ['liveness', container.livenessProbe],
      ['readiness', container.readinessProbe],
    ];
    for (const [kind, probe] of probes) if (probe) this.workers.set(kind, new Worker(this, kind, probe));
    for (const w of this.workers.values()) w.start(startedAtMs);
  }

  mayRun(kind: ProbeKind): boolean {
    return kind === 'startup' || this.started;
  }

  get started(): boolean {
    const s = this.workers.get('startup');
    return !s || s.result === true;
  }

  get ready(): boolean {
    const r = this.workers.get('readiness');
    return this.started && (!r || r.result === true);
  }

  stop(): void {
    for (const w of this.workers.values()) w.stop();
  }
}

export class Prober {
  private readonly containers = new Map<string, ContainerProbes>();

  constructor(private readonly host: ProbeHost) {}

  /** Follows a container: workers for its running attempt, none once it has stopped. */
  track(container: Container, attempt: number | undefined, running: boolean, startedAtMs: number): void {
    const cur = this.containers.get(container.name);
    if (cur && (!running || cur.attempt !== attempt)) {
      cur.stop();
      this.containers.delete(container.name);
    }
    if (running && attempt !== undefined && !this.containers.has(container.name)) {
      if (!container.startupProbe && !container.livenessProbe && !container.readinessProbe) return;
      this.containers.set(container.name, new ContainerProbes(this.host, container, attempt, startedAtMs));
    }
  }

  /** undefined when the container has no probes (then: started and ready while running). */
  state(name: string): { started: boolean; ready: boolean } | undefined {
    const c = this.containers.get(name);
    return c ? { started: c.started, ready: c.ready } : undefined;
  }

  stopAll(): void {
    for (const c of this.containers.values()) c.stop();
    this.containers.clear();
  }
}
