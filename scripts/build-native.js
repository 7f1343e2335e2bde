#!/usr/bin/env node
// Builds the addon, the pod shim and the test payload with npm's bundled node-gyp,
// offline, against the Node headers installed on the machine (node-gyp cannot download here).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { upToDate } = require('./newest');

function findNodeGyp() {
  if (process.env.npm_config_node_gyp && fs.existsSync(process.env.npm_config_node_gyp)) {
    return process.env.npm_config_node_gyp;
  }
  const npmDir = path.resolve(path.dirname(process.execPath), '../lib/node_modules/npm');
  const bundled = path.join(npmDir, 'node_modules/node-gyp/bin/node-gyp.js');
  if (fs.existsSync(bundled)) return bundled;
  throw new Error('node-gyp not found: install npm (it bundles node-gyp) or set npm_config_node_gyp');
}

function nodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (fs.existsSync(path.join(prefix, 'include/node/node_api.h'))) return prefix;
  return '/usr';
}

const root = path.resolve(__dirname, '..');

// Built already and nothing changed since (a second `npm install`, or an install npx makes of
// the checkout when someone runs `npx podrun` there): the quickstart builds once.
const outputs = ['podrun.node', 'podrun-shim', 'podrun-payload'].map((f) => path.join(root, 'build', 'Release', f));
const built = Math.min(...outputs.map((f) => (fs.existsSync(f) ? fs.statSync(f).mtimeMs : 0)));
if (upToDate(built, [path.join(root, 'native'), path.join(root, 'binding.gyp')])) {
  console.log('podrun: native parts are up to date (PODRUN_FORCE_BUILD=1 rebuilds them)');
  process.exit(0);
}

const args = [findNodeGyp(), 'rebuild', `--nodedir=${nodeDir()}`, '-j', 'max'];
const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  console.error('podrun: building the native addon failed (needs g++, make, python3 and the Node headers)');
  process.exit(r.status ?? 1);
}
