/** Runtime and host metrics: the runtime MetricSource, cgroup limits, host-metrics start-up. */
export {
  createRuntimeSource,
  DEFAULT_EVENT_LOOP_RESOLUTION_MS,
  type RuntimeSourceOptions,
} from './runtime-source.js';
export { readCgroupLimits, type CgroupLimits, type CgroupOptions } from './cgroup.js';
export { availableCpus } from './cpu.js';
export { startHostMetrics, HOST_METRIC_GROUPS, type HostMetricsHandle } from './host.js';
