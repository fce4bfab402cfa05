import type { Attributes } from '@opentelemetry/api';
import { ValueType } from '@opentelemetry/api';
import { InstrumentType } from '@opentelemetry/sdk-metrics';
import { Instrument, type Series } from '../aggregation/instrument.js';
import { HTTP_DURATION_BOUNDS } from '../aggregation/explicit-histogram.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVER_PORT,
  ATTR_URL_SCHEME,
  METRIC_CONNECTIONS,
  METRIC_HTTP_SERVER_ACTIVE_REQUESTS,
  METRIC_HTTP_SERVER_REQUEST_DURATION,
  METRIC_OPEN_CONNECTIONS,
} from '../names.js';
import { KNOWN_METHODS, METHOD_COUNT } from './methods.js';

export const SCHEMES = ['http', 'https'] as const;

/** Why a request ended without a response; the value of `error.type`. */
export const ERROR_ABORTED = 'aborted';

/** No status code was sent (the request was aborted or failed first). */
export const NO_STATUS = 0;

/**
 * The HTTP server instruments and the cached lookups the hot path uses to find a series with
 * no attribute object or string key built per request: every attribute set is made once, when
 * its series is first seen, and found again by small integer keys.
 */
export class HttpServerMetrics {
  readonly duration: Instrument;
  readonly activeRequests: Instrument;
  readonly openConnections: Instrument;
  readonly connectionsOpened: Instrument;

  private readonly durationNoRoute = new Map<number, Series>();
  private readonly durationByRoute = new Map<string, Map<number, Series>>();
  private readonly active: (Series | undefined)[] = new Array(METHOD_COUNT * SCHEMES.length).fill(undefined);
  private readonly connectionSeries = new Map<number, { open: Series; opened: Series }>();

  constructor(maxSeries: number) {
    this.duration = new Instrument(
      {
        name: METRIC_HTTP_SERVER_REQUEST_DURATION,
        description: 'Duration of HTTP server requests.',
        unit: 's',
        type: InstrumentType.HISTOGRAM,
        valueType: ValueType.DOUBLE,
        bounds: HTTP_DURATION_BOUNDS,
      },
      maxSeries,
    );
    this.activeRequests = new Instrument(
      {
        name: METRIC_HTTP_SERVER_ACTIVE_REQUESTS,
        description: 'Number of active HTTP server requests.',
        unit: '{request}',
        type: InstrumentType.UP_DOWN_COUNTER,
        valueType: ValueType.INT,
      },
      maxSeries,
    );
    this.openConnections = new Instrument(
      {
        name: METRIC_OPEN_CONNECTIONS,
        description: 'Number of open connections on the HTTP servers of this process.',
        unit: '{connection}',
        type: InstrumentType.UP_DOWN_COUNTER,
        valueType: ValueType.INT,
      },
      maxSeries,
    );
    this.connectionsOpened = new Instrument(
      {
        name: METRIC_CONNECTIONS,
        description: 'Number of connections accepted by the HTTP servers of this process.',
        unit: '{connection}',
        type: InstrumentType.COUNTER,
        valueType: ValueType.INT,
      },
      maxSeries,
    );
  }

  get instruments(): Instrument[] {
    return [this.duration, this.activeRequests, this.openConnections, this.connectionsOpened];
  }

  /** Active-request series for a method index and scheme index. */
  activeSeries(method: number, scheme: number): Series {
    const key = method * SCHEMES.length + scheme;
    return (
      this.active[key] ??
      (this.active[key] = this.activeRequests.createSeries({
        [ATTR_HTTP_REQUEST_METHOD]: KNOWN_METHODS[method],
        [ATTR_URL_SCHEME]: SCHEMES[scheme],
      }))
    );
  }

  /**
   * Duration series. `status` is the response status code, or NO_STATUS for a request that
   * ended without a response (then error.type is `aborted`); a 5xx status sets error.type to
   * the code, as the conventions ask.
   */
  durationSeries(method: number, scheme: number, status: number, route: string | undefined): Series {
    // status < 1000 always (node rejects others), so the key packs all three without collisions.
    const key = (method * SCHEMES.length + scheme) * 1000 + status;
    let byKey: Map<number, Series> | undefined;
    if (route === undefined) {
      byKey = this.durationNoRoute;
    } else {
      byKey = this.durationByRoute.get(route);
      if (byKey === undefined) {
        // Once capped, new routes share the overflow series without growing this map.
        if (this.duration.isCapped) return this.duration.createSeries({});
        byKey = new Map();
        this.durationByRoute.set(route, byKey);
      }
    }
    const found = byKey.get(key);
    if (found !== undefined) return found;
    const series = this.duration.createSeries(durationAttributes(method, scheme, status, route));
    byKey.set(key, series);
    return series;
  }

  /** Connection series of one server (port and scheme). */
  connectionSeriesFor(port: number, scheme: number): { open: Series; opened: Series } {
    const key = port * SCHEMES.length + scheme;
    let pair = this.connectionSeries.get(key);
    if (pair === undefined) {
      const attributes = { [ATTR_SERVER_PORT]: port, [ATTR_URL_SCHEME]: SCHEMES[scheme] };
      pair = { open: this.openConnections.createSeries(attributes), opened: this.connectionsOpened.createSeries(attributes) };
      this.connectionSeries.set(key, pair);
    }
    return pair;
  }
}

function durationAttributes(method: number, scheme: number, status: number, route: string | undefined): Attributes {
  const attributes: Attributes = {
    [ATTR_HTTP_REQUEST_METHOD]: KNOWN_METHODS[method],
    [ATTR_URL_SCHEME]: SCHEMES[scheme],
  };
  if (status !== NO_STATUS) attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = status;
  if (route !== undefined) attributes[ATTR_HTTP_ROUTE] = route;
  if (status === NO_STATUS) attributes[ATTR_ERROR_TYPE] = ERROR_ABORTED;
  else if (status >= 500) attributes[ATTR_ERROR_TYPE] = String(status);
  return attributes;
}
