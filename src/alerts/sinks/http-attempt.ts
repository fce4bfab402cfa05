/**
 * One POST attempt of an HTTP sink, bounded by its own timeout, and what to do next: done, retry
 * (network errors, timeouts, 408, 429, 5xx; with the Retry-After of a 429/503) or give up (other
 * 4xx). The webhook sink and the Alertmanager sink's members use it, with the helpers below:
 * Retry-After parsing, an unref'd sleep and a rate-limited report.
 */

export interface AttemptOutcome {
  ok: boolean;
  retry: boolean;
  /** The failure's kind: `http 500`, `timeout`, `network` (never a URL or header). */
  error?: string;
  retryAfterMs?: number;
}

export interface AttemptRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** Aborted when the sink closes: ends the attempt at once. */
  closing: AbortSignal;
  fetch: typeof fetch;
  /** Wall clock now, epoch ms: for a Retry-After given as an HTTP date. */
  now: number;
}

export async function postOnce(request: AttemptRequest): Promise<AttemptOutcome> {
  let response: Response;
  // The attempt's own timer and controller, not AbortSignal.timeout inside AbortSignal.any:
  // Node can collect such a timeout signal before it fires (nodejs/node#57736), and a receiver
  // that hangs would then hold the sink forever.
  const attempt = new AbortController();
  const timer = setTimeout(() => attempt.abort(new DOMException('timeout', 'TimeoutError')), request.timeoutMs);
  timer.unref();
  const onClose = (): void => attempt.abort(new DOMException('closed', 'AbortError'));
  request.closing.addEventListener('abort', onClose, { once: true });
  try {
    response = await request.fetch(request.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'otel-health', ...request.headers },
      body: request.body,
      signal: attempt.signal,
      redirect: 'error',
    });
  } catch (error) {
    const name = (error as { name?: string }).name;
    return { ok: false, retry: true, error: name === 'TimeoutError' || name === 'AbortError' || attempt.signal.aborted ? 'timeout' : 'network' };
  } finally {
    clearTimeout(timer);
    request.closing.removeEventListener('abort', onClose);
  }
  // Free the connection; the body is not read.
  await response.body?.cancel().catch(() => undefined);
  if (response.ok) return { ok: true, retry: false };
  const status = response.status;
  const retry = status === 408 || status === 429 || status >= 500;
  const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(response.headers.get('retry-after'), request.now) : undefined;
  return { ok: false, retry, error: `http ${status}`, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
}

/** ms to wait from a Retry-After value, or undefined. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export const realSleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
  });

export function rateLimited(write: (message: string) => void, now: () => number): (message: string) => void {
  let last = -Infinity;
  return (message) => {
    const t = now();
    if (t - last < 60_000) return;
    last = t;
    write(message);
  };
}
