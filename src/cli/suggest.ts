// "Did you mean this?": the names near a mistyped one, by cobra's rule (SuggestionsFor): a
// Levenshtein distance of at most 2, ignoring case, or the typed word as a prefix. Commands and
// flags are suggested alike, so a typo teaches the word instead of sending the user to --help.

/** The edit distance between a and b (insertions, deletions, substitutions), ignoring case. */
export function levenshtein(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  // One row of the table at a time: the distances from s[0..i) to every prefix of t.
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const row = [i];
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost));
    }
    prev = row;
  }
  return prev[t.length]!;
}

/** cobra's default SuggestionsMinimumDistance. */
export const SUGGESTION_DISTANCE = 2;

/** The names worth suggesting for `typed`, sorted as cobra lists its commands, each once. */
export function suggestionsFor(typed: string, names: Iterable<string>): string[] {
  const lower = typed.toLowerCase();
  const out = new Set<string>();
  for (const name of names) {
    if (name === typed) continue;
    if (levenshtein(typed, name) <= SUGGESTION_DISTANCE || (lower !== '' && name.toLowerCase().startsWith(lower))) out.add(name);
  }
  return [...out].sort();
}

/** What follows the error line: a blank line, `Did you mean this?`, one tab-indented line each; '' when there is nothing to suggest. */
export function didYouMean(suggestions: readonly string[]): string {
  if (suggestions.length === 0) return '';
  return `\n\nDid you mean this?\n${suggestions.map((s) => `\t${s}\n`).join('')}`;
}
