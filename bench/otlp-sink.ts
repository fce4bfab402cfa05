/**
 * A stand-in OTLP/HTTP receiver on 127.0.0.1: accepts any POST and answers 200 `{}`, so the exports of
 * the variants under test go somewhere real. Runs as its own child process of the harness and reports
 * what it received over IPC. Exits when the harness disconnects.
 *
 * Not meant to be run by hand: `node --import tsx bench/otlp-sink.ts` with an IPC channel.
 */
import http from 'node:http';
import type { SinkCommand, SinkMessage, SinkStats } from './protocol.js';
import { sendToParent } from './parent.js';

if (!process.send) {
  console.error('otlp-sink.ts is started by bench/http-overhead.ts (it needs an IPC channel)');
  process.exit(2);
}

const stats: SinkStats = { posts: 0, bytes: 0, withHttpDuration: 0, paths: {} };
const MARKER = Buffer.from('http.server.request.duration');

/** Messages to the harness, typed for this child. */
const send = (msg: SinkMessage): void => void sendToParent(msg);

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    if (req.method === 'POST') {
      const body = Buffer.concat(chunks);
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      stats.posts++;
      stats.bytes += body.length;
      stats.paths[path] = (stats.paths[path] ?? 0) + 1;
      if (body.includes(MARKER)) stats.withHttpDuration++;
    }
    const reply = '{}';
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(reply) });
    res.end(reply);
  });
  req.on('error', () => res.destroy());
});

process.on('message', (msg: SinkCommand) => {
  if (msg.type === 'stats') send({ type: 'stats', id: msg.id, stats: structuredClone(stats) });
});
process.on('disconnect', () => process.exit(0));

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('sink: unexpected listen address');
  send({ type: 'ready', port: address.port });
});
