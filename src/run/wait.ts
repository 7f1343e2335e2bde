// When a container started by `podrun.run()` counts as started: the strategies testcontainers
// users know (Wait.forLogMessage, forHttp, forListeningPorts, forHealthCheck, ...), as plain
// data. What each one does is in ./wait-until.ts; a strategy itself holds no process state, so
// one value may serve many containers.

/** A strategy of `Wait`; build one with its functions rather than by hand. */
export type WaitStrategy =
  | { readonly kind: 'running' }
  | { readonly kind: 'listeningPorts' }
  | { readonly kind: 'logMessage'; readonly message: string | RegExp; readonly times: number }
  | { readonly kind: 'http'; readonly path: string; readonly port: number; readonly options: HttpWaitOptions }
  | { readonly kind: 'healthCheck' }
  | { readonly kind: 'successfulCommand'; readonly command: readonly string[] }
  | { readonly kind: 'all'; readonly strategies: readonly WaitStrategy[] };

export interface HttpWaitOptions {
  /** The status that counts as ready (default 200), or a test of it. */
  status?: number | ((status: number) => boolean);
  /** A test of the response body, checked after the status. */
  body?: (body: string) => boolean;
  /** Default GET. */
  method?: string;
  headers?: Record<string, string>;
}

export const Wait = {
  /** The main container has started (phase Running). */
  forRunning(): WaitStrategy {
    return { kind: 'running' };
  },
  /** Every port in `ports` accepts a TCP connection inside the pod (the default when there are ports). */
  forListeningPorts(): WaitStrategy {
    return { kind: 'listeningPorts' };
  },
  /** The container's log (stdout or stderr) has a line matching `message`, `times` times. */
  forLogMessage(message: string | RegExp, times = 1): WaitStrategy {
    if (!Number.isInteger(times) || times < 1) throw new RangeError(`Wait.forLogMessage: times must be a positive integer, not ${times}`);
    return { kind: 'logMessage', message, times };
  },
  /**
   * An HTTP request to `path` on the container's `port` answers as `options` want (200 by
   * default); asked through the port published for it, as a client on this host would.
   */
  forHttp(path: string, port: number, options: HttpWaitOptions = {}): WaitStrategy {
    if (!path.startsWith('/')) throw new RangeError(`Wait.forHttp: the path must start with "/", not ${JSON.stringify(path)}`);
    return { kind: 'http', path, port, options };
  },
  /** The pod is Ready: its readiness probe (RunOptions.healthCheck or readinessProbe) passes. */
  forHealthCheck(): WaitStrategy {
    return { kind: 'healthCheck' };
  },
  /** `command` run in the container exits 0. */
  forSuccessfulCommand(command: readonly string[]): WaitStrategy {
    if (command.length === 0) throw new RangeError('Wait.forSuccessfulCommand: the command is empty');
    return { kind: 'successfulCommand', command: [...command] };
  },
  /** Every one of `strategies`, together. */
  forAll(strategies: readonly WaitStrategy[]): WaitStrategy {
    return { kind: 'all', strategies: [...strategies] };
  },
};

/** The strategy's words in an error: `log message /ready/`, `HTTP GET /health on port 8080`. */
export function describeStrategy(s: WaitStrategy): string {
  switch (s.kind) {
    case 'running':
      return 'the container to run';
    case 'listeningPorts':
      return 'its ports to listen';
    case 'logMessage':
      return `log message ${typeof s.message === 'string' ? JSON.stringify(s.message) : String(s.message)}${s.times > 1 ? ` ${s.times} times` : ''}`;
    case 'http':
      return `HTTP ${s.options.method ?? 'GET'} ${s.path} on port ${s.port}`;
    case 'healthCheck':
      return 'the pod to be Ready';
    case 'successfulCommand':
      return `command ${JSON.stringify(s.command.join(' '))} to succeed`;
    case 'all':
      return s.strategies.map(describeStrategy).join(' and ');
  }
}
