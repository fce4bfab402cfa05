/**
 * A realistic OTLP/JSON metrics export request (ExportMetricsServiceRequest) for the `bare-export`
 * variant: the shape and size of what a service with HTTP server metrics sends every interval
 * (a resource, a duration histogram with a few series, a request counter, an active-requests
 * up/down counter and a few runtime gauges). Built fresh on every call, as an exporter serializes
 * fresh data on every export. About 6 KB serialized.
 */

const BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const SERIES: Array<[method: string, status: number]> = [
  ['GET', 200],
  ['GET', 404],
  ['POST', 200],
  ['POST', 500],
];

type AnyValue = { stringValue: string } | { intValue: string } | { doubleValue: number };
type KeyValue = { key: string; value: AnyValue };

const str = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });
const int = (key: string, value: number): KeyValue => ({ key, value: { intValue: String(value) } });

function seriesAttributes(method: string, status: number): KeyValue[] {
  return [
    str('http.request.method', method),
    int('http.response.status_code', status),
    str('url.scheme', 'http'),
    str('http.route', method === 'GET' ? '/api/items/:id' : '/api/items'),
  ];
}

export function otlpMetricsBody(startMs: number, nowMs: number, seq: number): string {
  const start = `${BigInt(Math.round(startMs)) * 1_000_000n}`;
  const now = `${BigInt(Math.round(nowMs)) * 1_000_000n}`;
  const histogramPoints = SERIES.map(([method, status], i) => {
    const bucketCounts = [0, ...BOUNDS].map((_, b) => String((seq * (i + 3) * (b + 1)) % 977));
    const count = bucketCounts.reduce((sum, c) => sum + Number(c), 0);
    return {
      attributes: seriesAttributes(method, status),
      startTimeUnixNano: start,
      timeUnixNano: now,
      count: String(count),
      sum: count * 0.0123,
      min: 0.0002,
      max: 0.9 + i / 10,
      bucketCounts,
      explicitBounds: BOUNDS,
    };
  });
  const counterPoints = SERIES.map(([method, status], i) => ({
    attributes: seriesAttributes(method, status),
    startTimeUnixNano: start,
    timeUnixNano: now,
    asInt: String(seq * 1000 + i),
  }));
  const gauge = (name: string, unit: string, value: number) => ({
    name,
    unit,
    gauge: { dataPoints: [{ attributes: [], timeUnixNano: now, asDouble: value }] },
  });
  const body = {
    resourceMetrics: [
      {
        resource: {
          attributes: [
            str('service.name', 'bench'),
            str('service.instance.id', '7f3c8a52-2b1e-4c9d-9a57-0d6e1b2c3f4a'),
            str('telemetry.sdk.language', 'nodejs'),
            str('telemetry.sdk.name', 'opentelemetry'),
            str('telemetry.sdk.version', '2.12.0'),
            str('host.name', 'bench-host'),
            str('host.arch', process.arch),
            str('os.type', process.platform),
            int('process.pid', process.pid),
            str('process.runtime.name', 'nodejs'),
            str('process.runtime.version', process.versions.node),
          ],
          droppedAttributesCount: 0,
        },
        scopeMetrics: [
          {
            scope: { name: 'bench', version: '0.1.0' },
            metrics: [
              {
                name: 'http.server.request.duration',
                description: 'Duration of HTTP server requests.',
                unit: 's',
                histogram: { aggregationTemporality: 2, dataPoints: histogramPoints },
              },
              {
                name: 'bench.http.server.requests',
                description: 'HTTP server requests.',
                unit: '{request}',
                sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: counterPoints },
              },
              {
                name: 'http.server.active_requests',
                unit: '{request}',
                sum: {
                  aggregationTemporality: 2,
                  isMonotonic: false,
                  dataPoints: [{ attributes: [str('url.scheme', 'http')], startTimeUnixNano: start, timeUnixNano: now, asInt: '3' }],
                },
              },
              gauge('nodejs.eventloop.delay.p99', 's', 0.0121),
              gauge('nodejs.eventloop.utilization', '1', 0.73),
              gauge('v8js.memory.heap.used', 'By', 12_345_678),
              gauge('process.memory.usage', 'By', 78_901_234),
            ],
          },
        ],
      },
    ],
  };
  return JSON.stringify(body);
}
