/**
 * Prometheus rule groups (recording and alerting rules) and their YAML, written by hand like the
 * rest of the rules file: every string double-quoted and escaped, keys as Prometheus names them.
 */
import { prometheusDuration, yamlString } from './prometheus-format.js';

/** A recording rule: `record` is the new series' name, `labels` are added to (or replace) its labels. */
export interface RecordingRule {
  record: string;
  expr: string;
  labels: Record<string, string>;
}

/** An alerting rule with free-form labels (the threshold alerts have their own fixed shape, AlertingRule). */
export interface GroupAlertingRule {
  alert: string;
  expr: string;
  /** Seconds; 0 or absent: fires at the first evaluation that matches. */
  for?: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  rules: Array<RecordingRule | GroupAlertingRule>;
}

const isRecording = (rule: RecordingRule | GroupAlertingRule): rule is RecordingRule => 'record' in rule;

function mapLines(key: string, map: Record<string, string>): string[] {
  const entries = Object.entries(map);
  if (entries.length === 0) return [];
  return [`        ${key}:`, ...entries.map(([k, v]) => `          ${k}: ${yamlString(v)}`)];
}

/** A group as items of the file's `groups:` list (two-space indent, as the threshold group is written). */
export function renderGroup(group: RuleGroup): string[] {
  const lines = [`  - name: ${yamlString(group.name)}`, group.rules.length === 0 ? '    rules: []' : '    rules:'];
  for (const rule of group.rules) {
    if (isRecording(rule)) {
      lines.push(`      - record: ${yamlString(rule.record)}`, `        expr: ${yamlString(rule.expr)}`, ...mapLines('labels', rule.labels));
    } else {
      lines.push(`      - alert: ${yamlString(rule.alert)}`, `        expr: ${yamlString(rule.expr)}`);
      if (rule.for !== undefined && rule.for > 0) lines.push(`        for: ${yamlString(prometheusDuration(rule.for))}`);
      lines.push(...mapLines('labels', rule.labels), ...mapLines('annotations', rule.annotations));
    }
  }
  return lines;
}
