// The one message a user sees when an OTLP endpoint answers 415 Unsupported Media Type: which
// content type it refused, and what to set so that the next start sends one it takes. Without
// it a 415 reads as one failed export among others, and every export fails the same way.

import type { OtlpProtocol, ProtocolChoice } from './export-protocol.js';
import { contentTypeOf, protocolVariables } from './export-protocol.js';
import type { Signal } from './protocol.js';

/** What to try instead: the other HTTP encoding (protobuf is the one every OTLP/HTTP endpoint
 * must take, JSON the one some take). */
function alternative(choice: ProtocolChoice): OtlpProtocol {
  return choice.protocol === 'http/json' ? 'http/protobuf' : 'http/json';
}

export function unsupportedMediaTypeMessage(signal: Signal, choice: ProtocolChoice): string {
  const [specific, general] = protocolVariables(signal);
  const instead = alternative(choice);
  const chosenBy = choice.source === 'default' ? 'the default protocol' : `set by ${choice.source}`;
  const how =
    choice.source === 'protocol option'
      ? `pass protocol: '${instead}'`
      : `set ${specific}=${instead} (or ${general}=${instead} for metrics and logs)`;
  const held =
    signal === 'logs'
      ? 'Alert records are held for redelivery (up to the queue bound) meanwhile; what is still held at shutdown is lost.'
      : 'Metric exports fail until then.';
  return (
    `otel-health: the OTLP ${signal} endpoint refused ${contentTypeOf(choice.protocol)} (HTTP 415 Unsupported Media Type): ` +
    `it does not take ${choice.protocol} (${chosenBy}). To send ${contentTypeOf(instead)} instead, ${how}, ` +
    `or use grpc if the endpoint serves OTLP/gRPC. ${held}`
  );
}
