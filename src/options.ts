// The one place where option layers meet their defaults. A key that a layer leaves undefined,
// or sets to NaN, never replaces the value beneath it: `{...DEFAULTS, ...opts}` lets
// `{initialMs: undefined}` erase a default, and a back-off of NaN once turned every crash loop
// into a pod that never restarted.

type Layer<T> = { [K in keyof T]?: T[K] | undefined } | undefined;

/** `defaults`, overlaid by each layer in turn; only defined values win. */
export function withDefaults<T extends object>(defaults: T, ...layers: Layer<T>[]): T {
  const out = { ...defaults };
  for (const layer of layers) {
    if (!layer) continue;
    for (const key of Object.keys(layer) as (keyof T)[]) {
      const v = layer[key];
      if (v === undefined || (typeof v === 'number' && Number.isNaN(v))) continue;
      out[key] = v as T[keyof T];
    }
  }
  return out;
}

/** A numeric environment setting, or undefined when unset; a value that is not a number is refused by name. */
export function envNumber(name: string, env: NodeJS.ProcessEnv = process.env): number | undefined {
  const v = env[name];
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new TypeError(`${name}=${JSON.stringify(v)}: not a non-negative number`);
  return n;
}
