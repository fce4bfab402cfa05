/**
 * `otel-health` command line. `rules`: Prometheus rules from a monitoring config (the threshold
 * rules' alerts, and the service level objectives' recordings and burn-rate alerts).
 * Kept apart from src/cli.ts (which only runs it) so tests can call it in-process.
 */
import { writeFile } from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { parseConfig } from '../config/index.js';
import { DEFAULT_SCRAPE_INTERVAL, prometheusDuration, generatePrometheusRules, parseDuration } from './prometheus-rules.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const defaultIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

export const USAGE = `Usage: otel-health rules [--config <file.json|.mjs|.js>] [--scrape-interval 1m] [--service-label service_name] [--naming collector|sdk] [--out <file>]

Writes Prometheus alerting rules equivalent to the config's health rules (one alert per rule
and level, label severity=warning|error|critical) to stdout or --out, and for each service level
objective (slos) its recording rules and burn-rate alerts in Sloth's layout (alert
OtelHealthSloBurnRate, labels rule="slo:<name>", slo, severity).

  --config <file>          monitoring config: JSON, or a module whose default export is the
                           config (checks and functions are ignored). Default: the defaults.
  --scrape-interval <dur>  how often Prometheus scrapes the services (default ${prometheusDuration(DEFAULT_SCRAPE_INTERVAL)}).
                           Rate windows are at least 4 scrape intervals; a shorter
                           checkInterval or SLO alert window is widened, with a note on stderr.
  --service-label <label>  label naming a service: service_name (default; Collector prometheus
                           exporter with resource_to_telemetry_conversion) or job.
  --naming <scheme>        collector (default): names as the Collector's prometheus exporter
                           writes them, with unit suffixes (http_server_request_duration_seconds);
                           sdk: as OTEL_METRICS_EXPORTER=prometheus serves them, without unit
                           suffixes (http_server_request_duration); use with --service-label job.
  --out <file>             write the rules there instead of stdout.
  -h, --help               this help.
`;

async function readConfigInput(file: string): Promise<unknown> {
  const path = resolve(file);
  if (path.endsWith('.json')) return JSON.parse(await readFile(path, 'utf8')) as unknown;
  const module = (await import(pathToFileURL(path).href)) as { default?: unknown; config?: unknown };
  return module.default ?? module.config;
}

/** Runs the command line; resolves to the exit code. */
export async function runCli(argv: string[], io: CliIo = defaultIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        'scrape-interval': { type: 'string' },
        'service-label': { type: 'string' },
        naming: { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    io.stderr(`otel-health: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(USAGE);
    return 0;
  }
  if (positionals.length !== 1 || positionals[0] !== 'rules') {
    io.stderr(`otel-health: ${positionals.length === 0 ? 'no command' : `unknown command ${positionals.join(' ')}`}\n\n${USAGE}`);
    return 2;
  }
  try {
    const scrapeInterval = values['scrape-interval'] === undefined ? DEFAULT_SCRAPE_INTERVAL : parseDuration(values['scrape-interval']);
    const naming = values.naming ?? 'collector';
    if (naming !== 'collector' && naming !== 'sdk') throw new Error(`--naming must be collector or sdk (got ${JSON.stringify(naming)})`);
    const input = values.config === undefined ? {} : await readConfigInput(values.config);
    const config = parseConfig(input);
    const result = generatePrometheusRules(config, {
      scrapeInterval,
      naming,
      ...(values['service-label'] !== undefined ? { serviceLabel: values['service-label'] } : {}),
    });
    for (const note of result.notes) io.stderr(`otel-health: note: ${note}\n`);
    if (values.out !== undefined) {
      await writeFile(values.out, result.yaml);
      const alerting = result.rules.length + result.slo.alerts;
      const recording = result.slo.recordings > 0 ? ` and ${result.slo.recordings} recording rules` : '';
      io.stderr(`otel-health: wrote ${alerting} alerting rules${recording} to ${values.out}\n`);
    } else {
      io.stdout(result.yaml);
    }
    return 0;
  } catch (error) {
    io.stderr(`otel-health: ${(error as Error).message}\n`);
    return 1;
  }
}
