/**
 * An HTTP receiver for the sinks' fault tests: it reads each request and never answers, answers
 * 200 once the request's body has arrived, or answers after a delay. It counts requests open
 * (not yet answered or closed by the client); `noneOpen()` resolves when none is. Connections are
 * not what is counted: undici keeps a spare idle connection open for its keep-alive timeout
 * (4 s), unref'd, which holds nothing.
 */
import http from 'node:http';
import { close, listen } from '../../support/http.js';

export type Answer = { hang: true } | { atEnd: true } | { delayMs: number };

export async function countingReceiver(answer: Answer, path = '') {
  let open = 0;
  let maxOpen = 0;
  let requests = 0;
  let waiters: Array<() => void> = [];
  const server = http.createServer((req, res) => {
    requests++;
    open++;
    maxOpen = Math.max(maxOpen, open);
    res.on('close', () => {
      open--;
      if (open > 0) return;
      for (const wake of waiters) wake();
      waiters = [];
    });
    req.resume();
    if ('atEnd' in answer) req.on('end', () => res.writeHead(200).end());
    if ('delayMs' in answer) {
      const timer = setTimeout(() => res.end('late'), answer.delayMs);
      res.on('close', () => clearTimeout(timer));
    }
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}${path}`,
    stats: () => ({ requests, open, maxOpen }),
    noneOpen: () => (open === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
    close: () => close(server),
  };
}
