// Every installed copy (directory) of every @opentelemetry/* package under a folder's
// node_modules, nested ones included. Plain ESM, so .ci scripts and the consumer test, which run
// under any Node without tsx, share it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * @param {string} root a folder with node_modules
 * @returns {Map<string, string[]>} package name → one `"<version> at <path below root>"` per copy
 */
export function installedOtelCopies(root) {
  const copies = new Map();
  (function walk(dir) {
    const modules = join(dir, 'node_modules');
    if (!existsSync(modules)) return;
    for (const entry of readdirSync(modules)) {
      if (entry.startsWith('.')) continue;
      const names = entry.startsWith('@') ? readdirSync(join(modules, entry)).map((n) => `${entry}/${n}`) : [entry];
      for (const name of names) {
        const pkgDir = join(modules, name);
        const manifest = join(pkgDir, 'package.json');
        if (!existsSync(manifest)) continue;
        if (name.startsWith('@opentelemetry/')) {
          const { version } = JSON.parse(readFileSync(manifest, 'utf8'));
          if (!copies.has(name)) copies.set(name, []);
          copies.get(name).push(`${version} at ${pkgDir.slice(root.length + 1)}`);
        }
        walk(pkgDir);
      }
    }
  })(root);
  return copies;
}
