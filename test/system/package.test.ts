// The published tarball: what `npm pack` puts in it. package.json says Apache-2.0, so the
// tarball must carry the license text itself.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface PackResult {
  files: { path: string }[];
}

describe('npm pack', () => {
  it('lists LICENSE, the Apache License 2.0 that package.json names', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { license: string };
    assert.equal(pkg.license, 'Apache-2.0');
    // --ignore-scripts: list the files without running a build (`npm test` builds before).
    const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: ROOT,
      maxBuffer: 1 << 24,
    });
    const [result] = JSON.parse(stdout) as PackResult[];
    const paths = result!.files.map((f) => f.path);
    assert.ok(paths.includes('LICENSE'), `LICENSE is in the tarball (files: ${paths.filter((p) => !p.startsWith('dist/')).join(', ')})`);
    const text = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
    assert.match(text, /Apache License\s+Version 2\.0, January 2004/);
    assert.match(text, /END OF TERMS AND CONDITIONS/);
  });
});
