#!/usr/bin/env node
// Builds the addon, the pod shim and the test payload with npm's bundled node-gyp,
// offline, against the Node headers installed on the machine (node-gyp cannot download here).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

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
const args = [findNodeGyp(), 'rebuild', `--nodedir=${nodeDir()}`, '-j', 'max'];
const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  console.error('podrun: building the native addon failed (needs g++, make, python3 and the Node headers)');
  process.exit(r.status ?? 1);
}
