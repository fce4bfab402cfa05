/**
 * HTTP methods as the semantic conventions want them: the known methods as is, anything else
 * as `_OTHER`, so a client sending made-up methods cannot create new series.
 */
export const KNOWN_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', '_OTHER'] as const;
export const OTHER_METHOD_INDEX = KNOWN_METHODS.length - 1;
export const METHOD_COUNT = KNOWN_METHODS.length;

const METHOD_INDEX = new Map<string, number>(KNOWN_METHODS.slice(0, -1).map((m, i) => [m, i]));

export function methodIndex(method: string | undefined): number {
  // node's parser hands out interned method strings, so this is a cheap hash lookup.
  if (method === undefined) return OTHER_METHOD_INDEX;
  return METHOD_INDEX.get(method) ?? OTHER_METHOD_INDEX;
}
