#!/usr/bin/env node
// `npm start`: installs npm dependencies and compiles the Node code when missing or stale, then runs
// extension/src/node/start.ts (which fetches the OHIF viewer, builds the bundles, starts the archive).
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status || 1);
};
const newest = (p) => {
  const s = fs.statSync(p);
  return s.isDirectory() ? Math.max(s.mtimeMs, ...fs.readdirSync(p).map((n) => newest(path.join(p, n)))) : s.mtimeMs;
};

if (!fs.existsSync(path.join(root, 'node_modules', '.bin', 'tsc'))) run('npm', ['ci']);
const entry = path.join(root, 'build', 'node', 'node', 'start.js');
if (!fs.existsSync(entry) || fs.statSync(entry).mtimeMs < newest(path.join(root, 'extension', 'src'))) run('npm', ['run', 'build']);
require(entry)
  .main(process.argv.slice(2))
  .then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`[body-region] ${err && err.message ? err.message : err}\n`);
      process.exit(1);
    },
  );
