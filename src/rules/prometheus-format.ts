/**
 * How the rules files spell things: Prometheus durations, YAML double-quoted scalars, and
 * PromQL string literals and numbers. Shared by the threshold rules (prometheus-rules.ts) and
 * the objectives' rules (slo-rules.ts).
 */

/** Seconds as a Prometheus duration: 240 → `4m`, 90 → `1m30s`, 0.5 → `500ms`. */
export function prometheusDuration(seconds: number): string {
  let ms = Math.round(seconds * 1000);
  if (ms <= 0) return '0s';
  const units: Array<[string, number]> = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ];
  let out = '';
  for (const [unit, size] of units) {
    const n = Math.floor(ms / size);
    if (n > 0) {
      out += `${n}${unit}`;
      ms -= n * size;
    }
  }
  return out;
}

/** A Prometheus-style duration (`1m`, `15s`, `1m30s`, `500ms`, `2h`) or plain seconds, in seconds. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const re = /(\d+)(ms|s|m|h|d|w)/gy;
  const size: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(trimmed)) !== null) {
    total += Number(m[1]) * size[m[2]!]!;
    matched = re.lastIndex;
  }
  if (trimmed.length === 0 || matched !== trimmed.length) {
    throw new Error(`not a duration: ${JSON.stringify(text)} (write e.g. 15s, 1m, 1m30s)`);
  }
  return total;
}

/**
 * `value` in double quotes with backslash, quote and control characters escaped (`\n`, `\r`,
 * `\t`, else `\xNN`): the escapes YAML's double-quoted scalars and PromQL's (Go's) string
 * literals have in common, so one spelling serves both.
 */
function doubleQuoted(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + '"';
}

/** A YAML double-quoted scalar. */
export function yamlString(value: string): string {
  return doubleQuoted(value);
}

/**
 * A PromQL double-quoted string literal (a label matcher's value), so a route such as `/a"b\c`
 * is matched as written.
 */
export function promqlString(value: string): string {
  return doubleQuoted(value);
}

/** A regular expression (RE2) matching `text` literally. */
export function regexLiteral(text: string): string {
  return text.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}

/** Seconds of the Prometheus durations' millisecond resolution, rounded up (a window is never narrowed). */
export function toMilliseconds(seconds: number): number {
  return Math.ceil(Math.round(seconds * 1e6) / 1000) / 1000;
}
