#!/usr/bin/env node
// Compiles the TypeScript (tsc -p tsconfig.json) unless dist/ is newer than every source: npm
// runs `prepare` on install, and again in the install npx makes on the first `npx podrun` in a
// checkout; the quickstart compiles once.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { upToDate } = require('./newest');

const root = path.resolve(__dirname, '..');
const stamp = path.join(root, 'dist', '.built');

const built = fs.existsSync(stamp) ? fs.statSync(stamp).mtimeMs : 0;
if (upToDate(built, [path.join(root, 'src'), path.join(root, 'tsconfig.json'), path.join(root, 'package.json')])) process.exit(0);
const r = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
fs.writeFileSync(stamp, '');
