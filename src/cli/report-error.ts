// How an error reads on stderr: one line, in kubectl's words, with exit code 1. A NotFound for a
// Kubernetes object reads as kubectl's `Error from server (NotFound): pods "x" not found`, so
// scripts that match on it keep working; the rest read `error: <message>`, with the hint of a
// PodrunError on a second line. Stacks only with PODRUN_DEBUG=1.

import { PodrunError } from '../errors';

/** Kubernetes kinds podrun stores, by the words NotFoundError may carry, to kubectl's resource names. */
const RESOURCES: Record<string, string> = {
  pod: 'pods',
  pods: 'pods',
  configmap: 'configmaps',
  configmaps: 'configmaps',
  secret: 'secrets',
  secrets: 'secrets',
};

/** `pods "web" not found` for a NotFound about a stored object; undefined for other NotFounds (images, files). */
export function notFoundText(message: string): string | undefined {
  const m = /^(\S+) "(.*)" not found$/.exec(message);
  const resource = m && RESOURCES[m[1]!.toLowerCase()];
  return resource ? `${resource} "${m[2]}" not found` : undefined;
}

/** kubectl's resource name for a kind: `Pod` -> `pods`. */
export function resourceOf(kind: string): string {
  return RESOURCES[kind.toLowerCase()] ?? `${kind.toLowerCase()}s`;
}

/** Messages must stay on one line, whatever produced them. */
const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, ' ').trim();

/** The stderr text for an error, newline-terminated. */
export function formatError(err: unknown, debug = false): string {
  let text: string;
  if (err instanceof PodrunError) {
    const nf = err.code === 'NotFound' ? notFoundText(err.message) : undefined;
    if (nf) text = `Error from server (NotFound): ${nf}\n`;
    else text = `error: ${oneLine(err.message)}\n${err.hint ? oneLine(err.hint) + '\n' : ''}`;
  } else if (err instanceof Error) {
    text = `error: ${oneLine(err.message)}\n`;
  } else {
    text = `error: ${oneLine(String(err))}\n`;
  }
  if (debug && err instanceof Error && err.stack) text += `${err.stack}\n`;
  return text;
}

/** An error of the command line itself (bad flag, missing argument). */
export function usageError(message: string): PodrunError {
  return new PodrunError('Invalid', message);
}
