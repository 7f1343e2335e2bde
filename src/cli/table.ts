// Column alignment as Go's text/tabwriter does it, because kubectl (get, describe) and podman
// (image ls) print through it: cells end at a tab, and a column is as wide as its widest cell in
// a *block* of consecutive lines that have that column, plus padding. Lines without a tab end
// every block, which is why each section of `describe` aligns on its own.

export interface TabOptions {
  /** Smallest width of a column, padding included. */
  minWidth: number;
  /** Spaces added after the widest cell of a column. */
  padding: number;
}

/** kubectl get: tabwriter.NewWriter(out, 6, 4, 3, ' ', 0). */
export const KUBECTL_TABLE: TabOptions = { minWidth: 6, padding: 3 };
/** kubectl describe: tabwriter.NewWriter(out, 0, 8, 2, ' ', 0). */
export const KUBECTL_DESCRIBE: TabOptions = { minWidth: 0, padding: 2 };
/** podman's reports: tabwriter.NewWriter(out, 12, 2, 2, ' ', 0). */
export const PODMAN_TABLE: TabOptions = { minWidth: 12, padding: 2 };

/** Width as tabwriter counts it: one per code point. */
const width = (s: string): number => [...s].length;

/** Aligns tab-separated text; the last cell of each line is not padded, as in Go. */
export function tabwrite(text: string, opts: TabOptions): string {
  const lines = text.split('\n');
  const trailingNewline = lines.length > 1 && lines[lines.length - 1] === '';
  if (trailingNewline) lines.pop();
  const cells = lines.map((l) => l.split('\t'));
  const out: string[] = [];
  const widths: number[] = [];

  const writeLines = (from: number, to: number): void => {
    for (let i = from; i < to; i++) {
      const line = cells[i]!;
      let s = '';
      line.forEach((c, j) => {
        s += c;
        if (j < widths.length) s += ' '.repeat(Math.max(0, widths[j]! - width(c)));
      });
      out.push(s);
    }
  };

  // Go's Writer.format: find each block of lines that have a cell in `column`, size it, and
  // recurse into the next column within that block.
  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    let start = line0;
    for (let cur = line0; cur < line1; cur++) {
      if (column >= cells[cur]!.length - 1) continue;
      writeLines(start, cur);
      start = cur;
      let w = opts.minWidth;
      for (; cur < line1 && column < cells[cur]!.length - 1; cur++) {
        w = Math.max(w, width(cells[cur]![column]!) + opts.padding);
      }
      widths.push(w);
      format(start, cur);
      widths.pop();
      start = cur;
      cur--; // the loop's increment would skip the line that ended the block
    }
    writeLines(start, line1);
  };

  format(0, cells.length);
  return out.join('\n') + (trailingNewline ? '\n' : '');
}

/** Rows of cells as one aligned table, one line per row, each ending in a newline. */
export function renderTable(rows: string[][], opts: TabOptions = KUBECTL_TABLE): string {
  return tabwrite(rows.map((r) => r.join('\t') + '\n').join(''), opts);
}
