// podrun's rows for the benchmark table, measured with the same helpers as the peers
// (ctx.lib.measure, ctx.lib.idleRss) so that the ratios compare like with like.
'use strict';

/**
 * @param {{runs: number, asRoot: boolean, rootfs: string, trueBundle: string, sleepBundle: string, lib: typeof import('./lib')}} ctx
 * @returns {Promise<Array<object>>} rows for lib.table: `{name, unit: 'ms', median, p90}` timings
 *   or `{name, unit: 'MiB', median}` memory.
 */
async function podrunRows(ctx) {
  void ctx;
  // The lead fills this in once the Node API runs pods: pod start via the Node API, container
  // start in an existing pod, and the RSS of an idle pod (shim), all on ctx.rootfs.
  return [];
}

module.exports = { podrunRows };
