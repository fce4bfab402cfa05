/** The markdown report of an outage scenario run: figures beside the command that produced them. */
import { machineLines, type Machine } from '../machine.js';
import { formatSpread } from '../stats.js';
import { mib, STARVED_CORES, TARGETS, type Analysis } from './analysis.js';
import { RETRY_AFTER_S } from './protocol.js';
import type { ScenarioResult } from './scenario.js';

function table(rows: string[][]): string {
  const [head, ...body] = rows;
  return [head!, head!.map(() => '---'), ...body].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

const MODE_TEXT: Record<string, string> = {
  up: 'answers 200 `{}`',
  refuse: 'listener closed: connections refused',
  hang: 'accepts, reads, never answers',
  status500: 'answers 500',
  status429: `answers 429 with \`Retry-After: ${RETRY_AFTER_S}\``,
};

export function scenarioMarkdown(result: ScenarioResult, analysis: Analysis, command: string, machine: Machine): string {
  const o = result.options;
  const out: string[] = [];
  out.push('## Collector outage under load', '');
  out.push('```', command, '```', '');
  for (const l of machineLines(machine)) out.push(`- ${l}`);
  out.push('');
  out.push(
    'Three processes on 127.0.0.1: the service (hello-world `node:http` server with `startHealthMonitoring`, ' +
      `checkInterval ${o.checkIntervalS} s, OTLP/HTTP export every ${o.exportIntervalMs} ms` +
      (o.otlpTimeoutMs !== undefined ? `, OTEL_EXPORTER_OTLP_TIMEOUT ${o.otlpTimeoutMs} ms` : ', OTEL_EXPORTER_OTLP_TIMEOUT default (10 s)') +
      '), the fault endpoint it exports to (an OTLP/HTTP receiver switched between modes), and autocannon ' +
      `(${o.connections} connections, back-to-back windows of ${o.windowS} s). The service's custom check \`outage\` is turned ` +
      `unhealthy and healthy every ${o.alertPeriodS} s, so its alert fires and resolves throughout (alert cooldown 0, every ` +
      'other rule off: each transition is one `health.alert` record the endpoint must receive).',
    '',
  );
  out.push(
    `Phases: ${o.warmupS ? `warm-up ${o.warmupS} s (not compared) → ` : ''}baseline ${o.baselineS} s (endpoint up) → ` +
      o.faultModes.map((m) => `${m} ${o.faultS} s`).join(' → ') +
      ` → recovery (up, until every record raised so far arrived, deadline ${o.recoveryDeadlineS} s)` +
      (o.faultModes.length > 0 ? ` → baseline after outage ${o.baselineS / 2} s (pooled with the first baseline)` : '') +
      (o.downtimeS > 0 ? ` → downtime: refuse ${o.downtimeS} s → recovery` : '') +
      '. Modes: ' +
      [...new Set(result.phases.map((p) => p.mode))].map((m) => `\`${m}\` ${MODE_TEXT[m]}`).join('; ') +
      '.',
    '',
  );

  out.push('### Verdicts', '');
  for (const v of analysis.verdicts) out.push(`- ${v.pass ? 'PASS' : 'FAIL'}: ${v.name}${v.noisy ? ' (asserted by the long run only)' : ''} — ${v.detail}`);
  out.push('');

  out.push('### Throughput and alerts per phase', '');
  out.push(
    table([
      ['phase', 'seconds', 'req/s median (min–max) over windows', 'vs baseline', 'server CPU µs/req', 'CPU/req: baseline ÷ phase', 'starved windows', 'failed requests', 'alert transitions raised', 'their records received', 'RSS median'],
      ...analysis.phases.map((p) => [
        p.name,
        p.seconds.toFixed(0),
        `${formatSpread(p.reqPerSec, 0)} (${p.reqPerSec.n} windows)`,
        p.kind === 'warmup' ? '—' : p.ratio.toFixed(3),
        formatSpread(p.cpuUsPerReq, 2),
        p.kind === 'warmup' ? '—' : p.cpuRatio.toFixed(3),
        `${p.starvedWindows}/${p.reqPerSec.n}`,
        String(p.failed),
        String(p.raised),
        String(p.delivered),
        Number.isNaN(p.rssMedianBytes) ? 'n/a' : mib(p.rssMedianBytes),
      ]),
    ]),
    '',
  );
  out.push(
    `Throughput ratios (median req/s of the phase's windows over the baseline's median): outage (all fault windows) ` +
      `**${analysis.outageRatio.toFixed(3)}**` +
      (analysis.downtimeRatio !== undefined ? `, downtime **${analysis.downtimeRatio.toFixed(3)}**` : '') +
      `; target ≥ ${TARGETS.minThroughputRatio}. Server CPU µs/req: Δ process.cpuUsage() of the service (all threads, the ` +
      'export worker included) over a window divided by the requests answered in it; it is less sensitive than req/s to other ' +
      `load on this shared 2-core machine, so a req/s ratio below target with a CPU/req ratio near 1 points at the machine, ` +
      `not at the fault. Starved windows: the server got less than ${STARVED_CORES} of a core.`,
    '',
  );

  out.push('### Alert records', '');
  for (const d of analysis.deliveries) {
    out.push(
      `- ${d.phase}: ${d.expected - d.missing} of the ${d.expected} records raised before it had arrived ` +
        (d.completeAfterMs !== undefined ? `${(d.completeAfterMs / 1000).toFixed(1)} s after it began` : `when its ${o.recoveryDeadlineS} s deadline passed`) +
        ' (polled every 0.25 s).',
    );
  }
  const exporter = result.service?.logExporter ?? {};
  out.push(
    `- Raised while the endpoint was down: ${analysis.outageRaised} during the outage` +
      (o.downtimeS > 0 ? `, ${analysis.downtimeRaised} during the downtime` : '') +
      `. Overall: ${analysis.history} transitions in the alert history, ${analysis.sinkSent} records emitted by the otel-log sink, ` +
      `${analysis.received} distinct records received (${analysis.duplicates} duplicates, ${analysis.unknownRecords} unknown), ` +
      `${analysis.missing.length} missing, ${analysis.countedDrops} counted as dropped.`,
    `- OTLP log exporter counters at the end: ${Object.entries(exporter).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}.`,
  );
  const ep = result.endpoint;
  if (ep) {
    const answers = Object.entries(ep.requests)
      .map(([p, byAnswer]) => `${p}: ${Object.entries(byAnswer).map(([a, n]) => `${a} ×${n}`).join(', ')}`)
      .join('; ');
    out.push(`- Requests at the endpoint by answer: ${answers}.`);
  }
  const diag = result.service?.diag;
  if (diag) {
    out.push(
      `- OTel diag in the service: ${diag.warn} warnings, ${diag.error} errors` +
        (diag.recent.length ? `; the last distinct ones: ${diag.recent.map((l) => `\`${l.replace(/`/g, "'")}\``).join('; ')}` : '') +
        '.',
    );
  }
  out.push('');

  out.push('### Memory', '');
  const mem = [analysis.baselineMemory, analysis.downtimeMemory].filter((m) => m !== undefined);
  if (mem.length) {
    out.push(
      table([
        ['phase', 'samples', 'RSS start', 'RSS end', 'RSS growth', 'RSS max', 'heap used start → end'],
        ...mem.map((m) => [
          m.phase,
          String(m.samples),
          mib(m.startBytes),
          mib(m.endBytes),
          `${m.growthBytes >= 0 ? '+' : ''}${mib(m.growthBytes)}`,
          mib(m.maxBytes),
          `${mib(m.heapStartBytes)} → ${mib(m.heapEndBytes)}`,
        ]),
      ]),
      '',
    );
    out.push(
      `RSS sampled every ${o.sampleEveryS} s under load (no forced GC); start and end are the medians of the first and of the ` +
        'last 30 s of samples of the phase (a third of them when the phase is shorter), max the largest sample. The baseline row ' +
        `is the same figure with the endpoint up, for scale. Target: growth over the downtime ≤ ${mib(TARGETS.maxRssGrowthBytes)}.`,
      '',
    );
  } else {
    out.push('Too few samples.', '');
  }
  return out.join('\n');
}
