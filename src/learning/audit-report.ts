/** The audit report as Markdown, for people: numbers first, then what was done about them. */
import type { AuditStats, Rate } from './audit-stats.js';
import { count } from '../core/text.js';
import { percent as percentOf } from './percent.js';

export interface AuditActions {
  staled: string[];
  archived: string[];
  refined: string[];
  notes: string[];
}

/** `chartLine`: the chart's image link in the report file; in chat, where a relative link shows nothing, where it lies on the host. */
export function renderReport(id: number, at: number, trigger: string, stats: AuditStats, actions: AuditActions, chartLine: string | undefined): string {
  const lines = [
    `# Cairn audit #${id}`,
    '',
    `${new Date(at).toISOString()} · trigger: ${trigger}`,
    '',
    '## Success rate',
    '',
    `- Overall: ${describe(stats.overall)}`,
    `- Since the previous audit: ${describe(stats.sinceLastAudit)}`,
    '',
  ];
  if (chartLine) lines.push(chartLine, '');
  lines.push('## Per skill', '');
  if (stats.perSkill.length === 0) lines.push('No task used a skill yet.', '');
  else lines.push('| skill | version | tasks | success | failure | unknown | rate |', '| --- | --- | --- | --- | --- | --- | --- |', ...stats.perSkill.map((s) => `| ${s.skill} | ${s.version} | ${s.tasks} | ${s.success} | ${s.failure} | ${s.unknown} | ${percent(s.successRate)} |`), '');
  lines.push('## Per platform', '', '| platform | tasks | rate |', '| --- | --- | --- |', ...stats.perPlatform.map((p) => `| ${p.platform} | ${p.tasks} | ${percent(p.successRate)} |`), '');
  lines.push('## Over time', '', '| day | tasks | rate |', '| --- | --- | --- |', ...stats.overTime.map((d) => `| ${d.day} | ${d.tasks} | ${percent(d.successRate)} |`), '');
  if (stats.tokens) lines.push(...tokenLines(stats.tokens));
  lines.push('## Failure modes', '');
  if (stats.failureModes.length === 0) lines.push('No failures.', '');
  else lines.push(...stats.failureModes.map((f) => `- **${f.mode}** × ${f.count} (e.g. "${f.example.replace(/\s+/g, ' ')}")`), '');
  lines.push('## Actions', '');
  const acted = [
    ...actions.refined.map((name) => `- Refined \`${name}\` (poor outcomes).`),
    ...actions.staled.map((name) => `- Marked \`${name}\` stale (unused for a while).`),
    ...actions.archived.map((name) => `- Archived \`${name}\` (unused for too long).`),
    ...actions.notes.map((note) => `- ${note}`),
  ];
  lines.push(...(acted.length > 0 ? acted : ['None needed.']), '');
  return lines.join('\n');
}

function describe(rate: Rate): string {
  return `${percent(rate.successRate)} (${rate.success} succeeded, ${rate.failure} failed, ${rate.unknown} unknown of ${rate.tasks} tasks)`;
}

function percent(value: number | undefined): string {
  return value === undefined ? 'n/a' : percentOf(value);
}

function tokenLines({ overall, sinceLastAudit }: NonNullable<AuditStats['tokens']>): string[] {
  return [
    '## Tokens',
    '',
    '| | since the previous audit | overall |',
    '| --- | --- | --- |',
    `| tokens per task | ${tokens(sinceLastAudit.perTask)} | ${tokens(overall.perTask)} |`,
    `| tokens per success (failures' included) | ${tokens(sinceLastAudit.perSuccess)} | ${tokens(overall.perSuccess)} |`,
    `| prompt tokens from the provider's cache | ${percent(sinceLastAudit.cachedShare)} | ${percent(overall.cachedShare)} |`,
    '',
  ];
}

function tokens(n: number | undefined): string {
  return n === undefined ? 'n/a' : count(n);
}
