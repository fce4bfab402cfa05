/**
 * The fault endpoint: the tests' OTLP/HTTP receiver (support/otlp-receiver.ts) in its own
 * child process, switched between the FaultModes of protocol.ts over IPC. In `up` mode it answers
 * 200 `{}`; what arrived is reduced to counts and to each `health.alert` log record's identity
 * (rule, fingerprint, transition, time), so that the scenario can tell which alert records
 * reached the collector.
 *
 * The receiver keeps every request it parsed; a run lasts 16 minutes, so this process folds them
 * into its counts every second and empties the receiver's lists (bounded memory).
 *
 * Log bodies are OTLP/JSON: the export worker uses the stock exporter-logs-otlp-http, which sends
 * JSON (optionally compressed; the receiver inflates it).
 *
 * Not meant to be run by hand: `node --import tsx bench/reliability/fault-endpoint.ts` with an IPC channel.
 */
import { otlpAttributes, startOtlpReceiver, type OtlpKeyValue, type ReceiverMode } from '../../support/otlp-receiver.js';
import { RETRY_AFTER_S, type EndpointCommand, type EndpointMessage, type EndpointStats, type FaultMode, type ReceivedAlert } from './protocol.js';
import { sendToParent } from '../parent.js';

if (!process.send) {
  console.error('fault-endpoint.ts is started by bench/reliability/scenario.ts (it needs an IPC channel)');
  process.exit(2);
}

/** Alert identities kept; a run raises a few dozen, this only bounds a runaway. */
const MAX_KEPT_ALERTS = 10_000;
const FOLD_EVERY_MS = 1000;

const RECEIVER_MODE: Record<Exclude<FaultMode, 'refuse'>, ReceiverMode> = {
  up: 'ok',
  hang: 'hang',
  status500: { status: 500 },
  status429: { status: 429, retryAfter: String(RETRY_AFTER_S) },
};

/** Messages to the harness, typed for this child. */
const send = (msg: EndpointMessage): void => void sendToParent(msg);

/** OTLP/JSON times are decimal nanosecond strings (or numbers); epoch ms, or NaN. */
function nanosToMs(value: unknown): number {
  if (typeof value !== 'string' && typeof value !== 'number') return Number.NaN;
  try {
    return Number(BigInt(value) / 1_000_000n);
  } catch {
    return Number.NaN;
  }
}

interface JsonLogs {
  resourceLogs?: { scopeLogs?: { logRecords?: { timeUnixNano?: string | number; observedTimeUnixNano?: string | number; attributes?: OtlpKeyValue[] }[] }[] }[];
}

async function main(): Promise<void> {
  const receiver = await startOtlpReceiver();
  const port = Number(new URL(receiver.url).port);
  let mode: FaultMode = 'up';
  const alerts: ReceivedAlert[] = [];
  const stats: Omit<EndpointStats, 'mode' | 'alerts'> = {
    requests: {},
    metricExports: 0,
    logExports: 0,
    logRecords: 0,
    alertsNotKept: 0,
  };

  /** Folds what the receiver recorded since the last call into the counts, and forgets it. */
  const fold = (): void => {
    const receivedAt = Date.now();
    for (const r of receiver.requests.splice(0)) {
      const answer = r.status === undefined ? 'hang' : String(r.status);
      const byAnswer = (stats.requests[r.path] ??= {});
      byAnswer[answer] = (byAnswer[answer] ?? 0) + 1;
    }
    stats.metricExports += receiver.metrics.splice(0).length;
    for (const body of receiver.logs.splice(0) as JsonLogs[]) {
      stats.logExports++;
      for (const rl of body.resourceLogs ?? []) {
        for (const sl of rl.scopeLogs ?? []) {
          for (const record of sl.logRecords ?? []) {
            stats.logRecords++;
            const a = otlpAttributes(record.attributes);
            if (typeof a['health.alert.rule'] !== 'string') continue;
            if (alerts.length >= MAX_KEPT_ALERTS) {
              stats.alertsNotKept++;
              continue;
            }
            const time = nanosToMs(record.timeUnixNano);
            alerts.push({
              rule: a['health.alert.rule'],
              fingerprint: String(a['health.alert.fingerprint']),
              transition: String(a['health.alert.transition']),
              atMs: time > 0 ? time : nanosToMs(record.observedTimeUnixNano),
              receivedAt,
            });
          }
        }
      }
    }
  };
  setInterval(fold, FOLD_EVERY_MS);

  const setMode = async (next: FaultMode): Promise<void> => {
    fold();
    if (next === 'refuse') {
      // Closes the listener and every connection, hanging ones included: connections are refused.
      await receiver.stopListening();
    } else {
      if (mode === 'refuse') await receiver.listenAgain();
      receiver.setMode(RECEIVER_MODE[next]);
    }
    mode = next;
  };

  process.on('message', (msg: EndpointCommand) => {
    if (msg.type === 'stats') {
      fold();
      send({ type: 'stats', id: msg.id, stats: { ...structuredClone(stats), mode, alerts: [...alerts] } });
    } else if (msg.type === 'mode') {
      setMode(msg.mode).then(
        () => send({ type: 'mode', id: msg.id, mode }),
        (err: unknown) => send({ type: 'mode', id: msg.id, mode, error: err instanceof Error ? err.message : String(err) }),
      );
    }
  });
  send({ type: 'ready', port });
}

process.on('disconnect', () => process.exit(0));

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
