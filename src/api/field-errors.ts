// Field errors worded as the API server words them (k8s.io/apimachinery/pkg/util/validation/field),
// so a message from podrun reads like the one kubectl would have printed for the same manifest.

import { ValidationError } from '../errors';

/** The longest value echoed back in a message; longer ones are cut so an error stays one short line. */
const MAX_SHOWN = 80;

/** A value as the API server echoes it: strings quoted, numbers and booleans bare. */
export function showValue(value: unknown): string {
  let text: string;
  if (value === undefined) text = '""';
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}...` : text;
}

const quoted = (values: readonly string[]): string => values.map((v) => JSON.stringify(v)).join(', ');

export const required = (field: string, detail?: string): ValidationError =>
  new ValidationError(field, detail ? `Required value: ${detail}` : 'Required value');

export const invalid = (field: string, value: unknown, detail: string): ValidationError =>
  new ValidationError(field, `Invalid value: ${showValue(value)}: ${detail}`);

export const unsupported = (field: string, value: unknown, supported: readonly string[]): ValidationError =>
  new ValidationError(field, `Unsupported value: ${showValue(value)}: supported values: ${quoted(supported)}`);

export const duplicate = (field: string, value: unknown): ValidationError =>
  new ValidationError(field, `Duplicate value: ${showValue(value)}`);

export const notFound = (field: string, value: unknown): ValidationError =>
  new ValidationError(field, `Not found: ${showValue(value)}`);

export const forbidden = (field: string, detail: string): ValidationError =>
  new ValidationError(field, `Forbidden: ${detail}`);

export const tooLong = (field: string, max: number, unit = 'bytes'): ValidationError =>
  new ValidationError(field, `Too long: must have at most ${max} ${unit}`);

/** Errors are collected in the order the API server would find them; callers usually report the first. */
export type ErrorList = ValidationError[];

/** `a.b`, `[0].b`: joins a child name onto a path, leaving a leading dot off. */
export const child = (path: string, name: string): string => (path ? `${path}.${name}` : name);
/** `a[3]` */
export const index = (path: string, i: number): string => `${path}[${i}]`;
/** `a[key]`: map entries are addressed by key, as field.Path.Key does. */
export const key = (path: string, k: string): string => `${path}[${k}]`;

/** The API server's range message, shared by ports, ids and deadlines. */
export const inclusiveRange = (lo: number, hi: number): string => `must be between ${lo} and ${hi}, inclusive`;
export const NON_NEGATIVE = 'must be greater than or equal to 0';
