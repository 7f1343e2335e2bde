// Kubernetes resource quantities (k8s.io/apimachinery/pkg/api/resource): `100m`, `1Gi`, `64Mi`,
// `1e3`, `0.5`. podrun only needs their value, so a quantity becomes a plain number of the base
// unit (cores, bytes); the exact decimal arithmetic of resource.Quantity is not needed here.

import { ValidationError } from '../errors';

/** The API server's pattern, quoted in the error so users see what is accepted. */
export const QUANTITY_PATTERN = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
/** Decimal suffixes as powers of ten, applied in the decimal domain (`100m` is exactly 0.1, not 100 * 0.001). */
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

// The grammar from quantity.go: <signedNumber> then one of a binary suffix, a decimal suffix, or
// an exponent. `1E` is exa, `1E3` an exponent; the regex tries the suffix first and backtracks.
const GRAMMAR = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE]([+-]?\d+))?$/;

/** Parses a quantity, given as a YAML string or number, into its value in the base unit. */
export function parseQuantity(q: string | number): number {
  if (typeof q === 'number') {
    if (Number.isFinite(q)) return q;
    throw invalidQuantity(q);
  }
  // The API server trims surrounding spaces when it decodes a quantity from JSON.
  const m = GRAMMAR.exec(q.trim());
  if (!m) throw invalidQuantity(q);
  const [, sign, digits, suffix, exponent] = m;
  let value: number;
  if (suffix !== undefined && suffix in BINARY) value = Number(digits) * BINARY[suffix];
  else value = Number(`${digits}e${exponent ?? (suffix === undefined ? 0 : DECIMAL[suffix])}`);
  if (!Number.isFinite(value)) throw invalidQuantity(q);
  return sign === '-' ? -value : value;
}

/** True when `parseQuantity` accepts the value. */
export function isQuantity(q: unknown): q is string | number {
  if (typeof q !== 'string' && typeof q !== 'number') return false;
  try {
    parseQuantity(q);
    return true;
  } catch {
    return false;
  }
}

function invalidQuantity(q: string | number): ValidationError {
  return new ValidationError('', `Invalid value: ${JSON.stringify(String(q))}: must match the regex '${QUANTITY_PATTERN}'`);
}
