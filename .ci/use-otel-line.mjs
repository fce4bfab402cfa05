#!/usr/bin/env node
// Installs one OpenTelemetry JS line (.ci/otel-lines.json) over this checkout's node_modules,
// without touching package.json or package-lock.json, then checks that each @opentelemetry/*
// package is present once, at the line's version. The repository's own devDependencies are the
// 2.x line; CI runs `node .ci/use-otel-line.mjs 3` (under Node 24) to test the 3.x line.
//
//   node .ci/use-otel-line.mjs 2|3
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installedOtelCopies } from '../test/helpers/otel-copies.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const lines = JSON.parse(readFileSync(join(root, '.ci', 'otel-lines.json'), 'utf8'));
const name = process.argv[2];
const line = lines[name];
if (line === undefined) {
  console.error(`usage: node .ci/use-otel-line.mjs ${Object.keys(lines).filter((k) => k !== '//').join('|')}`);
  process.exit(2);
}
const specs = Object.entries(line.packages).map(([pkg, version]) => `${pkg}@${version}`);
console.log(`OpenTelemetry line ${name} on Node ${process.version}: ${specs.join(' ')}`);
execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', ...specs], { cwd: root, stdio: 'inherit' });

// Every copy of every @opentelemetry/* package in the tree, nested ones included.
const copies = installedOtelCopies(root);
const problems = [];
for (const [pkg, version] of Object.entries(line.packages)) {
  const found = (copies.get(pkg) ?? []).map((copy) => copy.split(' ')[0]);
  if (found.length !== 1 || found[0] !== version) problems.push(`${pkg}: want ${version}, found ${found.join(', ') || 'none'}`);
}
for (const [pkg, list] of copies) if (list.length > 1) problems.push(`${pkg}: ${list.length} copies (${list.join('; ')})`);
if (problems.length > 0) {
  console.error(`line ${name} is not installed cleanly:\n  ${[...new Set(problems)].join('\n  ')}`);
  process.exit(1);
}
console.log(`line ${name}: one copy of each of ${copies.size} @opentelemetry/* packages`);
