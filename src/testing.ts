/**
 * `otel-health/testing`: helpers for tests of code that uses otel-health, not for production.
 *
 * - `ManualScheduler`: the alert pipeline's clocks and timers, advanced by hand
 *   (`new HealthMonitor({ …, alertScheduler: new ManualScheduler() })`), so group waits,
 *   cooldowns and repeat intervals pass without sleeping.
 * - `sequence`, `fanOut`, `Stage`, `StageContext`, `AlertPipeline`: how the alert pipeline is
 *   composed, for tests of its stages. The stages of a running monitor are fixed by its `alerts`
 *   configuration; they are not a plug-in point.
 */
export { ManualScheduler, type Scheduler } from './alerts/index.js';
export { sequence, fanOut, type Stage, type StageContext } from './alerts/index.js';
export { AlertPipeline, type AlertPipelineDeps } from './alerts/index.js';
