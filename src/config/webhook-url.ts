/**
 * The rule for a webhook sink's URL, checked once when the configuration is parsed (the
 * `alerts.sinks.<name>.url` issue); the webhook sink reads the URL it sends to through it.
 */

/** The URL to send to; throws an Error (the parser makes it a ConfigError issue) when it cannot be used. */
export function checkWebhookUrl(url: string, allowHttp: boolean): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('must be an absolute URL');
  }
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && allowHttp)) {
    throw new Error(parsed.protocol === 'http:' ? 'must be https (set allowHttp: true to allow http)' : 'must be an https URL');
  }
  if (parsed.username !== '' || parsed.password !== '') throw new Error('must not hold credentials: put them in headers from environment variables');
  return parsed;
}
