/** doctor: a host's /proc snapshot -> per-destination headroom, warnings with fixes, metrics. */
export { type Aggregate, aggregate, type Triple } from './aggregate.js';
export {
  candidates,
  type Headroom,
  type HeadroomParams,
  headroomOf,
  recyclable,
} from './headroom.js';
export { type LoadedNetns, type LoadOptions, netnsFromSnapshot } from './load-netns.js';
export { type MetricsServer, serveMetrics } from './metrics-server.js';
export { escapeLabel, toPrometheus } from './prometheus.js';
export { measureRates } from './rates.js';
export {
  buildReport,
  type ConnectPrediction,
  type DestinationRow,
  type DoctorReport,
  paramsOf,
  type ReportOptions,
} from './report.js';
export { type ScrapeCache, type ScrapeCacheOptions, type ScrapeResult, scrapeCache } from './scrape-cache.js';
export {
  type Fix,
  type Rates,
  rateKey,
  type Warning,
  type WarningCode,
  WIDE_RANGE,
  warningsFor,
} from './warnings.js';
