// How an error reads on stderr: one line, in kubectl's words, with exit code 1. A NotFound for a
// Kubernetes object reads as kubectl's `Error from server (NotFound): pods "x" not found`, so
// scripts that match on it keep working; the rest read `error: <message>`, with the hint of a
// PodrunError on a second line. Stacks only with PODRUN_DEBUG=1.

import '../api/kinds';
import { PodrunError } from '../errors';
import { kindForWord } from '../store/kinds';

/**
 * kubectl's resource for a kind or a word NotFoundError carries (`Pod`, `pods`, `deployments`),
 * with its group as the API server names it: `pods`, `deployments.apps`; undefined for words
 * that name no stored kind (an image, a file).
 */
function qualifiedResource(word: string): string | undefined {
  const info = kindForWord(word) ?? kindForWord(word.split('.')[0]!);
  if (!info) return undefined;
  const group = info.apiVersion.includes('/') ? info.apiVersion.split('/')[0] : '';
  return group ? `${info.plural}.${group}` : info.plural;
}

/** `deployments.apps "web" not found` for a NotFound about a stored object; undefined for other NotFounds (images, files). */
export function notFoundText(message: string): string | undefined {
  const m = /^(\S+) "(.*)" not found$/.exec(message);
  const resource = m && qualifiedResource(m[1]!);
  return resource ? `${resource} "${m[2]}" not found` : undefined;
}

/** kubectl's resource name for a kind: `Pod` -> `pods`, `Deployment` -> `deployments.apps`. */
export function resourceOf(kind: string): string {
  return qualifiedResource(kind) ?? `${kind.toLowerCase()}s`;
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
