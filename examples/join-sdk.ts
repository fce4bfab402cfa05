/**
 * Joining an existing OpenTelemetry NodeSDK: the service already has its own SDK, readers and
 * LoggerProvider; otel-health adds a HealthReader and one HealthMetricProducer per export reader.
 *
 * Run: node --import tsx examples/join-sdk.ts
 * (set OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 to export to a Collector; without it the
 * example exports metrics to the console once and exits after a few requests.)
 */
import http from 'node:http';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { ConsoleMetricExporter, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { LoggerProvider, SimpleLogRecordProcessor, ConsoleLogRecordExporter } from '@opentelemetry/sdk-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { HealthMetricProducer, HealthReader, startHealthMonitoring } from '../src/index.js';

const resource = resourceFromAttributes({ 'service.name': 'join-sdk-example' });

// 1. The health evaluator's reader, and a producer for each reader that exports.
const healthReader = new HealthReader();
const producer = new HealthMetricProducer();
const exporter = process.env.OTEL_EXPORTER_OTLP_ENDPOINT ? new OTLPMetricExporter() : new ConsoleMetricExporter();
const exportReader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000, metricProducers: [producer] });
producer.bindReader(exportReader); // answer in this reader's temporality and histogram kind

// 2. Your SDK, with both readers (sdk-metrics 2.x takes readers only at construction).
const sdk = new NodeSDK({ resource, metricReaders: [healthReader, exportReader], traceExporter: undefined });
sdk.start();

// 3. Your LoggerProvider carries the alert log events (here: to the console).
const loggerProvider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter: new ConsoleLogRecordExporter() })] });

const monitor = await startHealthMonitoring({
  serviceName: 'join-sdk-example',
  reader: healthReader,
  loggerProvider,
  checkInterval: 1,
});

const server = http.createServer((req, res) => {
  res.statusCode = req.url === '/fail' ? 500 : 200;
  res.end('ok');
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as { port: number };
for (const path of ['/', '/', '/fail', '/']) {
  await new Promise<void>((resolve, reject) =>
    http.get({ host: '127.0.0.1', port, path }, (res) => res.resume().on('end', resolve)).on('error', reject),
  );
}

const metrics = await monitor.monitorService();
console.log(
  `health: ${metrics.status} level=${metrics.level} requests=${metrics.requestCount} errorRate=${metrics.errorRate.toFixed(2)} p95=${(metrics.responseTime.p95 * 1000).toFixed(2)}ms`,
);

await exportReader.forceFlush(); // one export, so the example shows the metrics leaving
server.close();
await monitor.shutdown();
await loggerProvider.shutdown();
await sdk.shutdown();
