import * as fs from 'fs';
import * as path from 'path';

/**
 * The engine runs unchanged in the browser (OHIF extension, Web Worker) and in Node (CLI,
 * evaluation). This test reads every engine source file and fails on imports or globals that tie
 * it to one host: React/OHIF, Node built-ins, the DOM, or code outside the engine.
 */
const ENGINE = path.resolve(__dirname, '../../extension/src/engine');

/** Node-only files, clearly named; nothing that the browser bundle imports may import them. */
const NODE_ONLY = new Set(['infer/loadModelNode.ts']);

const NODE_BUILTINS = new Set([
  'fs',
  'fs/promises',
  'path',
  'os',
  'child_process',
  'http',
  'https',
  'net',
  'tls',
  'url',
  'util',
  'stream',
  'crypto',
  'zlib',
  'worker_threads',
  'cluster',
  'dgram',
  'dns',
  'readline',
  'vm',
  'module',
  'process',
  'buffer',
]);
const FORBIDDEN_PACKAGE =
  /^(react|react-dom|@ohif\/|@cornerstonejs\/(core|tools|streaming-image-volume-loader|dicom-image-loader)|xhr2$|jsdom$)/;
/** Globals that exist only in a browser page (not in a Web Worker or Node) or only in Node. */
const HOST_GLOBALS =
  /\b(document|window|localStorage|sessionStorage|HTMLElement|HTMLCanvasElement|__dirname|__filename|require\.resolve)\b|\bprocess\.|\bBuffer\./;

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.(ts|tsx)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

function importsOf(source: string): string[] {
  const specifiers: string[] = [];
  const patterns = [
    /\bfrom\s+['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /^\s*import\s+['"]([^'"]+)['"]/gm,
  ];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) specifiers.push(match[1]);
  return specifiers;
}

/** Problems of one engine file (path relative to the engine folder). */
export function isolationProblems(relative: string, source: string): string[] {
  if (NODE_ONLY.has(relative)) return [];
  const problems: string[] = [];
  const code = stripComments(source);
  for (const spec of importsOf(code)) {
    const bare = spec.replace(/^node:/, '');
    if (spec.startsWith('node:') || NODE_BUILTINS.has(bare)) problems.push(`${relative}: imports Node built-in "${spec}"`);
    else if (FORBIDDEN_PACKAGE.test(spec)) problems.push(`${relative}: imports "${spec}" (React/OHIF/host-specific)`);
    else if (spec.startsWith('.')) {
      const target = path.relative(ENGINE, path.resolve(ENGINE, path.dirname(relative), spec));
      if (target.startsWith('..')) problems.push(`${relative}: imports "${spec}" from outside the engine`);
      const targetFile = `${target.replace(/\\/g, '/')}.ts`;
      if (NODE_ONLY.has(targetFile)) problems.push(`${relative}: imports the Node-only module "${spec}"`);
    }
  }
  code.split('\n').forEach((line, i) => {
    const m = HOST_GLOBALS.exec(line.replace(/(['"`]).*?\1/g, '""'));
    if (m) problems.push(`${relative}:${i + 1}: uses host-specific global "${m[0]}"`);
  });
  return problems;
}

describe('engine isolation (browser and Node alike)', () => {
  const files = sourceFiles(ENGINE);

  test('the Node-only files exist (the allow-list is not stale)', () => {
    for (const file of NODE_ONLY) expect(fs.existsSync(path.join(ENGINE, file))).toBe(true);
    expect(files.length).toBeGreaterThan(10);
  });

  test('no engine file imports React, OHIF, Node built-ins or code outside the engine, or uses DOM/Node globals', () => {
    const problems = files.flatMap((file) =>
      isolationProblems(path.relative(ENGINE, file).replace(/\\/g, '/'), fs.readFileSync(file, 'utf8')),
    );
    expect(problems).toEqual([]);
  });

  test('the scanner catches what it is meant to catch', () => {
    const bad = [
      "import React from 'react';",
      "import { x } from '@ohif/core';",
      "import * as fs from 'fs';",
      "const p = require('node:path');",
      "import { y } from '../../ohif/panel';",
      "import { loadModelFromDir } from '../infer/loadModelNode';",
      'const el = document.createElement("canvas");',
      'const w = window.innerWidth;',
      "const dir = __dirname + '/models';",
      '// a comment mentioning document.body and fs is fine',
    ].join('\n');
    const problems = isolationProblems('decode/example.ts', bad);
    expect(problems).toHaveLength(9);
    expect(isolationProblems('infer/loadModelNode.ts', bad)).toEqual([]);
    expect(isolationProblems('decode/ok.ts', "import { a } from './anatomy';\nconst s = 'window.x';")).toEqual([]);
  });
});
