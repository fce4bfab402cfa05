// Property tests of the configuration parser (issue 6): valid configs drawn from the documented
// option ranges parse and re-parse to the same thing; inputs with one bad field throw a
// ConfigError naming that field; bad environment values name their variable; every valid config
// also starts a real monitor (no export: no endpoint is set) that checks once and shuts down.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { ConfigError, loadConfig, parseConfig } from '../../src/config/index.js';
import { startHealthMonitoring } from '../../src/index.js';

const RUNS = 1000;

const num = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
const ratio = () => num(0, 1);
const posSeconds = (max = 3600) => num(0.001, max);
const count = () => num(0, 1e6);

type Kind = 'ratio' | 'seconds' | 'count';
const levelOf = (kind: Kind) => (kind === 'ratio' ? ratio() : kind === 'seconds' ? posSeconds() : count());

/** Present levels, sorted so warning ≤ error ≤ critical. */
function levels(kind: Kind) {
  return fc
    .tuple(fc.option(levelOf(kind), { nil: undefined }), fc.option(levelOf(kind), { nil: undefined }), fc.option(levelOf(kind), { nil: undefined }))
    .map(([a, b, c]) => {
      const sorted = [a, b, c].filter((v): v is number => v !== undefined).sort((x, y) => x - y);
      const out: Record<string, number> = {};
      const names = ['warning', 'error', 'critical'];
      const present = [a, b, c].map((v, i) => (v === undefined ? undefined : names[i]!)).filter((n): n is string => n !== undefined);
      present.forEach((name, i) => (out[name] = sorted[i]!));
      return out;
    });
}

function threshold(kind: Kind, requestGated: boolean) {
  const object = fc
    .record(
      {
        levels: levels(kind),
        for: num(0, 3600),
        recovery: num(0.001, 1),
        recoveryFraction: num(0, 1),
        minRequests: fc.integer({ min: 0, max: 1000 }),
      },
      { requiredKeys: ['levels'] },
    )
    .map((t) => {
      const out: Record<string, unknown> = { ...t.levels };
      if (t.for !== undefined) out.for = t.for;
      if (t.recovery !== undefined) out.recovery = t.recovery;
      const present = Object.values(t.levels);
      // recoveryThreshold must be ≤ the lowest written level (with no level written: the defaults, so skip).
      if (t.recoveryFraction !== undefined && present.length > 0) out.recoveryThreshold = Math.min(...present) * t.recoveryFraction;
      if (requestGated && t.minRequests !== undefined) out.minRequests = t.minRequests;
      return out;
    });
  return fc.oneof(fc.constant(false as const), levelOf(kind), object);
}

const validConfig = fc
  .record(
    {
      serviceName: fc.string({ minLength: 1, maxLength: 30 }).filter((s) => s.trim().length > 0),
      intervalAndRetention: posSeconds(86_400).chain((interval) =>
        num(1, 100).map((factor) => ({ checkInterval: interval, metricsRetention: interval * factor })),
      ),
      errorThreshold: threshold('ratio', true),
      responseTimeThreshold: threshold('seconds', true),
      resourceThresholds: fc.record(
        {
          cpu: threshold('ratio', false),
          memory: threshold('ratio', false),
          connections: threshold('count', false),
          eventLoopDelay: threshold('seconds', false),
        },
        { requiredKeys: [] },
      ),
      alerts: fc.record({ cooldown: num(0, 86_400) }, { requiredKeys: [] }),
      checks: fc.uniqueArray(
        fc.record(
          {
            name: fc.stringMatching(/^[a-z][a-z0-9_-]{0,20}$/),
            timeout: posSeconds(60),
            level: fc.constantFrom('warning', 'error', 'critical'),
            for: num(0, 600),
          },
          { requiredKeys: ['name'] },
        ),
        { selector: (c) => c.name, maxLength: 4 },
      ),
      http: fc.record(
        {
          ignorePaths: fc.array(fc.string({ maxLength: 20 }), { maxLength: 4 }),
          ignorePorts: fc.array(fc.integer({ min: 0, max: 65535 }), { maxLength: 4 }),
        },
        { requiredKeys: [] },
      ),
      statusServer: fc.oneof(
        fc.constant(false as const),
        fc.record(
          {
            port: fc.integer({ min: 0, max: 65535 }),
            host: fc.constantFrom('127.0.0.1', '::1', 'localhost', '0.0.0.0'),
            token: fc.string({ minLength: 16, maxLength: 64 }),
          },
          { requiredKeys: ['port'] },
        ),
      ),
    },
    { requiredKeys: [] },
  )
  .map(({ intervalAndRetention, checks, ...rest }) => {
    const out: Record<string, unknown> = { ...rest };
    if (intervalAndRetention !== undefined) Object.assign(out, intervalAndRetention);
    if (checks !== undefined) out.checks = checks.map((c) => ({ ...c, check: () => true }));
    return out;
  });

function issuesOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `a ConfigError, not ${String(error)}`);
    return error.issues;
  }
  assert.fail('no ConfigError thrown');
}

const names = (path: string) => (i: { path: string }) => i.path === path || i.path.startsWith(`${path}.`) || i.path.startsWith(`${path}[`);

test('every valid config parses, and parseConfig(parseConfig(x)) is stable', () => {
  fc.assert(
    fc.property(validConfig, (input) => {
      const once = parseConfig(input);
      const twice = parseConfig(once);
      assert.deepStrictEqual(twice, once);
    }),
    { numRuns: RUNS },
  );
});

test('every valid config starts a monitor that checks once and shuts down', async () => {
  await fc.assert(
    fc.asyncProperty(validConfig, async (input) => {
      const options: Record<string, unknown> = { ...input, hostMetrics: false, loggerProvider: new LoggerProvider(), shutdownTimeout: 1, startupMessage: false };
      // A free loopback port: the drawn port may be taken or privileged, which is not what this tests.
      if (typeof input.statusServer === 'object' && input.statusServer !== null) options.statusServer = { ...input.statusServer, port: 0, host: '127.0.0.1' };
      const monitor = await startHealthMonitoring(options);
      try {
        const metrics = await monitor.monitorService();
        assert.ok(['healthy', 'degraded', 'unhealthy', 'unknown'].includes(metrics.status), metrics.status);
      } finally {
        await monitor.shutdown();
      }
    }),
    { numRuns: RUNS },
  );
});

const wrongType = fc.oneof(
  fc.string({ maxLength: 5 }),
  fc.constant(null),
  fc.constant(true),
  fc.array(fc.string({ maxLength: 3 }), { minLength: 1, maxLength: 2 }),
  fc.constant({ nested: 1 }),
);

/** Where a field is made bad, and the issue path expected for it. */
type Mutation = { path: readonly string[]; value: unknown; expect: string };

const THRESHOLDS: Array<{ path: readonly string[]; kind: Kind }> = [
  { path: ['errorThreshold'], kind: 'ratio' },
  { path: ['responseTimeThreshold'], kind: 'seconds' },
  { path: ['resourceThresholds', 'cpu'], kind: 'ratio' },
  { path: ['resourceThresholds', 'memory'], kind: 'ratio' },
  { path: ['resourceThresholds', 'connections'], kind: 'count' },
  { path: ['resourceThresholds', 'eventLoopDelay'], kind: 'seconds' },
];

const KNOWN_TOP = new Set([
  'serviceName', 'checkInterval', 'metricsRetention', 'errorThreshold', 'responseTimeThreshold',
  'resourceThresholds', 'alerts', 'checks', 'http', 'statusServer', 'reader', 'loggerProvider',
]);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // wrong type
  fc
    .tuple(fc.constantFrom(['checkInterval'], ['metricsRetention'], ['alerts', 'cooldown'], ['http', 'ignorePorts'], ['serviceName']), wrongType)
    .filter(([path, value]) => !(path[0] === 'serviceName' && typeof value === 'string'))
    .map(([path, value]) => ({ path, value: path[0] === 'serviceName' && value === null ? 42 : value, expect: path.join('.') })),
  fc
    .tuple(fc.constantFrom(...THRESHOLDS), wrongType)
    .map(([t, value]) => ({ path: t.path, value, expect: t.path.join('.') })),
  // negative interval
  num(-86_400, -1e-9).map((value) => ({ path: ['checkInterval'], value, expect: 'checkInterval' })),
  // warning > error
  fc
    .constantFrom(...THRESHOLDS)
    .chain((t) =>
      fc.tuple(levelOf(t.kind), levelOf(t.kind)).filter(([a, b]) => a !== b).map(([a, b]) => ({
        path: t.path,
        value: { warning: Math.max(a, b), error: Math.min(a, b) },
        expect: t.path.join('.'),
      })),
    ),
  // unknown key, top level or in a strict nested object
  fc
    .tuple(
      fc.constantFrom([], ['resourceThresholds'], ['http']),
      fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,15}$/),
    )
    .filter(([where, key]) => !(where.length === 0 ? KNOWN_TOP : where[0] === 'http' ? new Set(['ignorePaths', 'ignorePorts', 'ignoreServers', 'ignoreRequest']) : new Set(['cpu', 'memory', 'connections', 'eventLoopDelay'])).has(key))
    .map(([where, key]) => ({ path: [...where, key], value: 1, expect: [...where, key].join('.') })),
);

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  Object.defineProperty(node, path[path.length - 1]!, { value, enumerable: true, writable: true, configurable: true });
}

test('an input with a bad field throws a ConfigError naming that field', () => {
  fc.assert(
    fc.property(validConfig, mutation, (input, m) => {
      const bad = structuredClone({ ...input, checks: undefined }) as Record<string, unknown>;
      if (input.checks !== undefined) bad.checks = input.checks;
      setPath(bad, m.path, m.value);
      const issues = issuesOf(() => parseConfig(bad));
      assert.ok(issues.some(names(m.expect)), `expected an issue at ${m.expect}; got ${JSON.stringify(issues)}`);
    }),
    { numRuns: RUNS },
  );
});

const isNumber = (s: string) => /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i.test(s.trim());

const badInterval = fc.oneof(
  fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s.trim() !== '' && !isNumber(s)),
  num(-1e6, 0).map(String),
  num(86_400.001, 1e9).map(String),
);

const badErrorThreshold = fc.oneof(
  fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s.trim() !== '' && !isNumber(s) && !/^(false|off|none)$/i.test(s.trim()) && !s.includes('=')),
  num(-1e6, -1e-9).map(String),
  num(1.000001, 1e6).map(String),
  fc.constantFrom('warning=abc', 'bogus=0.1', 'warning=0.5,error=0.1', 'error=2'),
);

const badPorts = fc
  .tuple(
    fc.array(fc.integer({ min: 0, max: 65535 }).map(String), { maxLength: 3 }),
    fc.oneof(
      fc.integer({ min: 65536, max: 1e7 }).map(String),
      fc.integer({ min: -1e6, max: -1 }).map(String),
      num(0.001, 65535).filter((n) => !Number.isInteger(n)).map(String),
      fc.stringMatching(/^[a-z]{1,6}$/),
    ),
  )
  .map(([good, bad]) => [...good, bad].join(','));

/** Not a number (and not a word that turns a threshold off), or a negative number. */
const badNonNegative = fc.oneof(
  fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s.trim() !== '' && !isNumber(s) && !/^(false|off|none)$/i.test(s.trim()) && !s.includes('=')),
  num(-1e6, -1e-9).map(String),
);
const badRatio = fc.oneof(badNonNegative, num(1.000001, 1e6).map(String));

test('bad environment values throw a ConfigError naming the variable', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        badInterval.map((v) => ['OTEL_HEALTH_CHECK_INTERVAL', v] as const),
        badErrorThreshold.map((v) => ['OTEL_HEALTH_ERROR_THRESHOLD', v] as const),
        badPorts.map((v) => ['OTEL_HEALTH_IGNORE_PORTS', v] as const),
        badRatio.map((v) => ['OTEL_HEALTH_CPU_THRESHOLD', v] as const),
        badRatio.map((v) => ['OTEL_HEALTH_MEMORY_THRESHOLD', v] as const),
        badNonNegative.map((v) => ['OTEL_HEALTH_RESPONSE_TIME_THRESHOLD', v] as const),
        badNonNegative.map((v) => ['OTEL_HEALTH_CONNECTIONS_THRESHOLD', v] as const),
        badNonNegative.map((v) => ['OTEL_HEALTH_EVENT_LOOP_DELAY_THRESHOLD', v] as const),
        badNonNegative.map((v) => ['OTEL_HEALTH_METRICS_RETENTION', v] as const),
        badNonNegative.map((v) => ['OTEL_HEALTH_ALERT_COOLDOWN', v] as const),
      ),
      ([name, value]) => {
        const issues = issuesOf(() => loadConfig({}, { [name]: value }));
        assert.ok(
          issues.some((i) => i.path === name),
          `expected an issue naming ${name} for ${JSON.stringify(value)}; got ${JSON.stringify(issues)}`,
        );
      },
    ),
    { numRuns: RUNS },
  );
});
