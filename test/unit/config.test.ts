import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ConfigError,
  configFromEnv,
  loadConfig,
  parseAlertsConfig,
  parseConfig,
  type MonitoringConfig,
} from '../../src/config/index.js';
import { MonitoringLevel } from '../../src/model/types.js';

/** The ConfigError a call throws (fails the test when it does not throw one). */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.ok(error instanceof Error);
    return error;
  }
  assert.fail('expected a ConfigError');
}

const paths = (e: ConfigError): string[] => e.issues.map((i) => i.path);

describe('parseConfig: defaults', () => {
  it('applies the seed defaults and the documented levels', () => {
    const expected: MonitoringConfig = {
      serviceName: 'unknown_service:node',
      checkInterval: 15,
      metricsRetention: 86_400,
      errorThreshold: { warning: 0.05, error: 0.1, critical: 0.25, for: 0, recovery: 0.8, minRequests: 5 },
      responseTimeThreshold: { warning: 0.5, error: 1, critical: 2.5, for: 0, recovery: 0.8, minRequests: 5 },
      resourceThresholds: {
        cpu: { warning: 0.7, error: 0.85, critical: 0.95, for: 0, recovery: 0.8 },
        memory: { warning: 0.8, error: 0.9, critical: 0.95, for: 0, recovery: 0.8 },
        connections: { warning: 800, error: 1000, for: 0, recovery: 0.8 },
        eventLoopDelay: { warning: 0.1, error: 0.5, critical: 1, for: 0, recovery: 0.8 },
      },
      anomaly: false,
      alerts: { cooldown: 300 },
      alertsPlan: parseAlertsConfig({}, {}),
      checks: [],
      http: { ignorePaths: [], ignorePorts: [] },
      startupMessage: true,
    slos: [],
    };
    assert.deepEqual(parseConfig({}), expected);
    assert.deepEqual(parseConfig(undefined), expected);
  });

  it('returns fresh arrays each time', () => {
    const a = parseConfig({});
    a.http.ignorePaths.push('/x');
    assert.deepEqual(parseConfig({}).http.ignorePaths, []);
  });

  it('is idempotent: a parsed configuration parses to itself', () => {
    const once = parseConfig({
      checkInterval: 0.2,
      errorThreshold: { warning: 0.01, error: 0.2, for: 1, recoveryThreshold: 0.005 },
      resourceThresholds: { connections: false },
      checks: { db: { check: () => true, level: 'critical', timeout: 0.1 } },
      alerts: { cooldown: 1, routes: [] },
    });
    assert.deepEqual(parseConfig(once), once);
  });

  it('accepts fractional seconds (tests use checkInterval 0.2)', () => {
    const c = parseConfig({ checkInterval: 0.2, metricsRetention: 2.5 });
    assert.equal(c.checkInterval, 0.2);
    assert.equal(c.metricsRetention, 2.5);
  });
});

describe('parseConfig: thresholds', () => {
  it('a number sets the ERROR level only', () => {
    const c = parseConfig({ errorThreshold: 0.2, responseTimeThreshold: 2, resourceThresholds: { cpu: 0.9 } });
    assert.deepEqual(c.errorThreshold, { error: 0.2, for: 0, recovery: 0.8, minRequests: 5 });
    assert.deepEqual(c.responseTimeThreshold, { error: 2, for: 0, recovery: 0.8, minRequests: 5 });
    assert.deepEqual(c.resourceThresholds.cpu, { error: 0.9, for: 0, recovery: 0.8 });
    assert.deepEqual(c.resourceThresholds.memory, { warning: 0.8, error: 0.9, critical: 0.95, for: 0, recovery: 0.8 });
  });

  it('an object sets each level given (the levels written replace the defaults)', () => {
    const c = parseConfig({ errorThreshold: { warning: 0.02, critical: 0.5, for: 30, recovery: 0.5, minRequests: 20 } });
    assert.deepEqual(c.errorThreshold, { warning: 0.02, critical: 0.5, for: 30, recovery: 0.5, minRequests: 20 });
  });

  it('an object without levels keeps the default levels', () => {
    const c = parseConfig({ resourceThresholds: { cpu: { for: 60 } } });
    assert.deepEqual(c.resourceThresholds.cpu, { warning: 0.7, error: 0.85, critical: 0.95, for: 60, recovery: 0.8 });
  });

  it('false (or enabled: false) turns a rule off', () => {
    const c = parseConfig({ errorThreshold: false, resourceThresholds: { connections: { enabled: false } } });
    assert.equal(c.errorThreshold, false);
    assert.equal(c.resourceThresholds.connections, false);
  });

  it('levels must be ordered, and the error says so', () => {
    const e = configError(() => parseConfig({ resourceThresholds: { cpu: { warning: 0.9, error: 0.8 } } }));
    assert.deepEqual(paths(e), ['resourceThresholds.cpu']);
    assert.match(e.issues[0]!.message, /warning ≤ error ≤ critical/);
    assert.match(e.issues[0]!.message, /warning 0\.9 > error 0\.8/);
    const e2 = configError(() => parseConfig({ responseTimeThreshold: { error: 3, critical: 2 } }));
    assert.match(e2.message, /responseTimeThreshold: levels must be ordered warning ≤ error ≤ critical \(got error 3 > critical 2\)/);
  });

  it('ratios must be fractions: 10 for 10 % is caught, reported at the threshold written', () => {
    const e = configError(() => parseConfig({ errorThreshold: 10 }));
    assert.deepEqual(paths(e), ['errorThreshold']);
    assert.match(e.issues[0]!.message, /fraction from 0 to 1.*\(got 10\)/);
  });

  it('recoveryThreshold above the lowest level is refused (it would flap)', () => {
    const e = configError(() => parseConfig({ resourceThresholds: { connections: { error: 100, recoveryThreshold: 150 } } }));
    assert.deepEqual(paths(e), ['resourceThresholds.connections.recoveryThreshold']);
  });

  it('minRequests only where requests are counted', () => {
    const e = configError(() => parseConfig({ resourceThresholds: { cpu: { minRequests: 3 } } }));
    assert.deepEqual(e.issues, [{ path: 'resourceThresholds.cpu.minRequests', message: 'unknown option' }]);
  });
});

describe('parseConfig: errors', () => {
  it('names every bad field and why, in one ConfigError', () => {
    const e = configError(() =>
      parseConfig({
        serviceName: '',
        checkInterval: -1,
        metricsRetention: 'a day',
        errorThreshold: { wraning: 0.1 },
        responseTimeThreshold: 'slow',
        resourceThresholds: { cpu: { error: 1.5 }, memory: { recovery: 0 } },
        alerts: { cooldown: -5 },
        checks: { db: 42 },
        http: { ignorePorts: [80, 70_000], ignorePaths: '/health' },
        extra: true,
      }),
    );
    assert.deepEqual(paths(e).sort(), [
      'alerts.cooldown',
      'checkInterval',
      'checks.db',
      'errorThreshold.wraning',
      'extra',
      'http.ignorePaths',
      'http.ignorePorts[1]',
      'metricsRetention',
      'resourceThresholds.cpu.error',
      'resourceThresholds.memory.recovery',
      'responseTimeThreshold',
      'serviceName',
    ]);
    for (const issue of e.issues) assert.ok(e.message.includes(`${issue.path}: ${issue.message}`));
    assert.match(e.message, /^Invalid otel-health configuration \(12 problems\):/);
    const byPath = Object.fromEntries(e.issues.map((i) => [i.path, i.message]));
    assert.equal(byPath.checkInterval, 'must be > 0 seconds (got -1)');
    assert.equal(byPath.metricsRetention, 'must be a number of seconds (got "a day")');
    assert.equal(byPath.extra, 'unknown option');
    assert.match(byPath.responseTimeThreshold!, /must be a number \(its ERROR level\), false \(rule off\), or an object/);
    assert.match(byPath['http.ignorePorts[1]']!, /port.*\(got 70000\)/);
  });

  it('metricsRetention shorter than checkInterval is refused, also next to other errors', () => {
    assert.deepEqual(paths(configError(() => parseConfig({ checkInterval: 30, metricsRetention: 10 }))), ['metricsRetention']);
    assert.deepEqual(paths(configError(() => parseConfig({ checkInterval: 30, metricsRetention: 10, alerts: 'x' }))).sort(), [
      'alerts',
      'metricsRetention',
    ]);
  });

  it('never throws anything but a ConfigError, whatever the input', () => {
    for (const input of [null, 'x', 42, [], () => 1, { checks: 'db' }, { checks: [{ check: () => 1 }] }, { resourceThresholds: [] }]) {
      configError(() => parseConfig(input));
    }
  });
});

describe('parseConfig: checks, http, alerts', () => {
  it('checks by name or as a list, with defaults (timeout min(5, checkInterval), ERROR, for 0)', () => {
    const db = async () => true;
    const cache = () => false;
    const byName = parseConfig({ checkInterval: 2, checks: { db, cache: { check: cache, timeout: 0.5, level: 'warning', for: 10 } } });
    assert.deepEqual(byName.checks, [
      { name: 'db', check: db, timeout: 2, level: MonitoringLevel.ERROR, for: 0 },
      { name: 'cache', check: cache, timeout: 0.5, level: MonitoringLevel.WARNING, for: 10 },
    ]);
    const list = parseConfig({ checks: [{ name: 'db', check: db, level: MonitoringLevel.CRITICAL }] });
    assert.deepEqual(list.checks, [{ name: 'db', check: db, timeout: 5, level: MonitoringLevel.CRITICAL, for: 0 }]);
  });

  it('a check must be a function; names are unique', () => {
    const e = configError(() => parseConfig({ checks: { db: { check: 'ping' } } }));
    assert.deepEqual(e.issues, [{ path: 'checks.db.check', message: 'must be a function (the check)' }]);
    const dup = configError(() => parseConfig({ checks: [{ name: 'a', check: () => 1 }, { name: 'a', check: () => 1 }] }));
    assert.deepEqual(paths(dup), ['checks[1].name']);
    assert.match(dup.message, /duplicate check name "a"/);
  });

  it('http options and the alert settings (unknown alert keys are left for the alert pipeline)', () => {
    const ignoreRequest = () => false;
    const c = parseConfig({
      http: { ignorePaths: ['/health/live'], ignorePorts: [9464], ignoreRequest },
      alerts: { cooldown: 60, routes: [{ match: {}, sink: 'console' }] },
    });
    assert.deepEqual(c.http, { ignorePaths: ['/health/live'], ignorePorts: [9464], ignoreRequest });
    assert.deepEqual(c.alerts, { cooldown: 60, routes: [{ match: {}, sink: 'console' }] });
  });

  it('accepts the monitor’s runtime options (reader, loggerProvider) and leaves them out', () => {
    const c = parseConfig({ reader: {}, loggerProvider: {} });
    assert.equal('reader' in c, false);
    assert.equal('loggerProvider' in c, false);
  });
});

describe('environment variables', () => {
  it('configFromEnv maps every variable', () => {
    const input = configFromEnv({
      OTEL_SERVICE_NAME: 'checkout',
      OTEL_HEALTH_CHECK_INTERVAL: '0.2',
      OTEL_HEALTH_METRICS_RETENTION: '3600',
      OTEL_HEALTH_ERROR_THRESHOLD: '0.2',
      OTEL_HEALTH_RESPONSE_TIME_THRESHOLD: 'warning=0.3,error=0.6,for=30',
      OTEL_HEALTH_ALERT_COOLDOWN: '60',
      OTEL_HEALTH_CPU_THRESHOLD: '0.9',
      OTEL_HEALTH_MEMORY_THRESHOLD: 'off',
      OTEL_HEALTH_CONNECTIONS_THRESHOLD: '5000',
      OTEL_HEALTH_EVENT_LOOP_DELAY_THRESHOLD: '0.25',
      OTEL_HEALTH_IGNORE_PATHS: '/health/live, /metrics,',
      OTEL_HEALTH_IGNORE_PORTS: '9464',
      UNRELATED: 'x',
    });
    assert.deepEqual(input, {
      serviceName: 'checkout',
      checkInterval: 0.2,
      metricsRetention: 3600,
      errorThreshold: 0.2,
      responseTimeThreshold: { warning: 0.3, error: 0.6, for: 30 },
      alerts: { cooldown: 60 },
      resourceThresholds: { cpu: 0.9, memory: false, connections: 5000, eventLoopDelay: 0.25 },
      http: { ignorePaths: ['/health/live', '/metrics'], ignorePorts: [9464] },
    });
  });

  it('bad values: one ConfigError naming each variable and why', () => {
    const e = configError(() =>
      configFromEnv({
        OTEL_HEALTH_CHECK_INTERVAL: 'fast',
        OTEL_HEALTH_METRICS_RETENTION: '-1',
        OTEL_HEALTH_ERROR_THRESHOLD: '10',
        OTEL_HEALTH_CPU_THRESHOLD: 'warning=0.9,error=0.5',
        OTEL_HEALTH_MEMORY_THRESHOLD: 'warn=0.5',
        OTEL_HEALTH_IGNORE_PORTS: '80,http',
      }),
    );
    assert.deepEqual(paths(e).sort(), [
      'OTEL_HEALTH_CHECK_INTERVAL',
      'OTEL_HEALTH_CPU_THRESHOLD',
      'OTEL_HEALTH_ERROR_THRESHOLD',
      'OTEL_HEALTH_IGNORE_PORTS',
      'OTEL_HEALTH_MEMORY_THRESHOLD',
      'OTEL_HEALTH_METRICS_RETENTION',
    ]);
    assert.match(e.message, /OTEL_HEALTH_CHECK_INTERVAL: must be a number of seconds \(got "fast"\)/);
    assert.match(e.message, /OTEL_HEALTH_ERROR_THRESHOLD: .*fraction from 0 to 1.*\(got 10\)/);
    assert.match(e.message, /OTEL_HEALTH_CPU_THRESHOLD: levels must be ordered warning ≤ error ≤ critical/);
    assert.match(e.message, /OTEL_HEALTH_MEMORY_THRESHOLD: unknown key "warn"/);
  });

  it('an empty variable is unset; OTEL_RESOURCE_ATTRIBUTES gives service.name when OTEL_SERVICE_NAME does not', () => {
    assert.deepEqual(configFromEnv({ OTEL_HEALTH_CHECK_INTERVAL: '', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,service.name=pay%20ments' }), {
      serviceName: 'pay ments',
    });
    assert.deepEqual(configFromEnv({ OTEL_SERVICE_NAME: 'a', OTEL_RESOURCE_ATTRIBUTES: 'service.name=b' }), { serviceName: 'a' });
  });

  it('loadConfig: explicit options win, nested groups merge key by key', () => {
    const env = {
      OTEL_SERVICE_NAME: 'from-env',
      OTEL_HEALTH_CHECK_INTERVAL: '5',
      OTEL_HEALTH_CPU_THRESHOLD: '0.6',
      OTEL_HEALTH_MEMORY_THRESHOLD: '0.7',
      OTEL_HEALTH_ALERT_COOLDOWN: '10',
    };
    const c = loadConfig({ serviceName: 'explicit', checkInterval: undefined, resourceThresholds: { cpu: 0.95 } }, env);
    assert.equal(c.serviceName, 'explicit');
    assert.equal(c.checkInterval, 5, 'an undefined option does not hide the variable');
    assert.deepEqual(c.resourceThresholds.cpu, { error: 0.95, for: 0, recovery: 0.8 });
    assert.deepEqual(c.resourceThresholds.memory, { error: 0.7, for: 0, recovery: 0.8 });
    assert.equal(c.alerts.cooldown, 10);
    assert.equal(loadConfig(undefined, {}).serviceName, 'unknown_service:node');
  });

  it('loadConfig: a bad variable overridden by an option is ignored; otherwise it is named', () => {
    assert.equal(loadConfig({ checkInterval: 1 }, { OTEL_HEALTH_CHECK_INTERVAL: 'x' }).checkInterval, 1);
    const e = configError(() => loadConfig({ checkInterval: 60 }, { OTEL_HEALTH_METRICS_RETENTION: '30', OTEL_HEALTH_ALERT_COOLDOWN: 'soon' }));
    assert.deepEqual(paths(e).sort(), ['OTEL_HEALTH_ALERT_COOLDOWN', 'OTEL_HEALTH_METRICS_RETENTION']);
    assert.match(e.message, /OTEL_HEALTH_METRICS_RETENTION: must be ≥ checkInterval \(60 s\)/);
  });
});
