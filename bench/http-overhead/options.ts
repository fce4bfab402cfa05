/** The command line of bench/http-overhead.ts: its options, their defaults and bounds. */
import { parseArgs } from 'node:util';
import { isVariant, VARIANTS, type VariantName } from '../protocol.js';

export interface Options {
  rounds: number;
  duration: number;
  warmup: number;
  connections: number;
  variants: VariantName[];
  exportIntervalMs: number;
  /** otel-health's checkInterval, seconds (default 1: fifteen times the package default, to be conservative). */
  checkInterval: number;
  out: string | undefined;
}

const USAGE = `usage: node --import tsx bench/http-overhead.ts [--rounds 5] [--duration 8] [--warmup 2]
       [--connections 50] [--variants ${VARIANTS.join(',')}] [--export-interval 1000] [--check-interval 1] [--out bench/RESULTS.md]`;

export function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      rounds: { type: 'string', default: '5' },
      duration: { type: 'string', default: '8' },
      warmup: { type: 'string', default: '2' },
      connections: { type: 'string', default: '50' },
      variants: { type: 'string', default: VARIANTS.join(',') },
      'export-interval': { type: 'string', default: '1000' },
      'check-interval': { type: 'string', default: '1' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  // Bounds keep one invocation bounded in time and in load.
  const int = (name: string, raw: string, min: number, max: number): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer in [${min}, ${max}], got "${raw}"\n${USAGE}`);
    return n;
  };
  const variants = values.variants.split(',').map((v) => v.trim()).filter(Boolean);
  for (const v of variants) if (!isVariant(v)) throw new Error(`unknown variant "${v}"; known: ${VARIANTS.join(', ')}`);
  if (new Set(variants).size !== variants.length) throw new Error('--variants lists a variant twice');
  if (variants.length === 0) throw new Error('--variants is empty');
  return {
    rounds: int('rounds', values.rounds, 1, 50),
    duration: int('duration', values.duration, 1, 120),
    warmup: int('warmup', values.warmup, 0, 30),
    connections: int('connections', values.connections, 1, 1000),
    variants: variants as VariantName[],
    exportIntervalMs: int('export-interval', values['export-interval'], 100, 60_000),
    checkInterval: int('check-interval', values['check-interval'], 1, 3600),
    out: values.out,
  };
}
