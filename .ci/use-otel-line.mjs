#!/usr/bin/env node
// Installs one OpenTelemetry JS line (.ci/otel-lines.json) over this checkout's node_modules,
// without touching package.json or package-lock.json, then checks that each @opentelemetry/*
// package is present once, at the line's version. The repository's own devDependencies are the
// 2.x line; CI runs `node .ci/use-otel-line.mjs 3` (under Node 24) to test the 3.x line.
//
//   node .ci/use-otel-line.mjs 2|3
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

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

// Every copy of every @opentelemetry/* package in the tree, by walking node_modules.
const copies = new Map();
function walk(dir) {
  const modules = join(dir, 'node_modules');
  if (!existsSync(modules)) return;
  for (const entry of readdirSync(modules)) {
    if (entry.startsWith('.')) continue;
    const names = entry.startsWith('@') ? readdirSync(join(modules, entry)).map((n) => `${entry}/${n}`) : [entry];
    for (const pkgName of names) {
      const pkgDir = join(modules, pkgName);
      const manifest = join(pkgDir, 'package.json');
      if (!existsSync(manifest)) continue;
      if (pkgName.startsWith('@opentelemetry/')) {
        const { version } = JSON.parse(readFileSync(manifest, 'utf8'));
        if (!copies.has(pkgName)) copies.set(pkgName, new Set());
        copies.get(pkgName).add(version);
      }
      walk(pkgDir);
    }
  }
}
walk(root);
const problems = [];
for (const [pkg, version] of Object.entries(line.packages)) {
  const found = [...(copies.get(pkg) ?? [])];
  if (found.length !== 1 || found[0] !== version) problems.push(`${pkg}: want ${version}, found ${found.join(', ') || 'none'}`);
}
for (const [pkg, versions] of copies) if (versions.size > 1) problems.push(`${pkg}: ${versions.size} versions (${[...versions].join(', ')})`);
if (problems.length > 0) {
  console.error(`line ${name} is not installed cleanly:\n  ${[...new Set(problems)].join('\n  ')}`);
  process.exit(1);
}
console.log(`line ${name}: one copy of each of ${copies.size} @opentelemetry/* packages`);
