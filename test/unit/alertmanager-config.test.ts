/**
 * collector-config/alertmanager.yml, the recommended Alertmanager configuration for the
 * `alertmanager` sink: amtool (Debian's prometheus-alertmanager package) checks it, and routes
 * the labels the sink sets: critical alerts to the pager, the rest to the team. Skipped where
 * amtool is absent, except in CI (where .ci/run installs it).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { alertLabels } from '../../src/alerts/sinks/alertmanager-format.js';
import { amtoolInstalled } from '../../support/alertmanager.js';
import { MonitoringLevel } from '../../src/model/types.js';
import { T0, tr } from '../helpers/alerts.js';

const FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'collector-config', 'alertmanager.yml');
const skip: string | false = amtoolInstalled ? false : 'amtool not installed (apt-get install -y --no-install-recommends prometheus-alertmanager)';
if (skip && process.env.CI) assert.fail('amtool is not installed; CI must install the Debian "prometheus-alertmanager" package');

function amtool(...args: string[]): { status: number | null; out: string } {
  const r = spawnSync('amtool', args, { encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** The receiver the recommended route picks for the labels the sink gives `level` on error_rate. */
function receiverFor(level: MonitoringLevel): string {
  const labels = alertLabels(tr('firing', T0, { level }).alert, { labels: {} });
  const r = amtool('config', 'routes', 'test', `--config.file=${FILE}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`));
  assert.equal(r.status, 0, r.out);
  return r.out.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('Warning')).at(-1)!.trim();
}

describe('collector-config/alertmanager.yml', { skip }, () => {
  it('amtool check-config accepts it', () => {
    const r = amtool('check-config', FILE);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /SUCCESS/);
  });

  it('groups by service and rule; critical pages, the rest goes to the team', () => {
    assert.match(readFileSync(FILE, 'utf8'), /^ {2}group_by: \[service, rule\]$/m);
    assert.equal(receiverFor(MonitoringLevel.CRITICAL), 'pager');
    assert.equal(receiverFor(MonitoringLevel.ERROR), 'team');
    assert.equal(receiverFor(MonitoringLevel.WARNING), 'team');
  });
});
