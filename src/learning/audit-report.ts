/** The audit report as Markdown, for people: numbers first, then what was done about them. */
import type { AuditStats, Rate } from './audit-stats.js';
import { count, headOf, oneLine } from '../core/text.js';
import { redactText } from '../core/redact.js';
import { percent as percentOf } from './percent.js';
import { worseModelLines, type ModelRate } from './audit-models.js';

/** How much of a failed task's request a report quotes for its failure mode. */
export const FAILURE_EXAMPLE_CHARS = 120;

/**
 * What a report quotes of a failed task's request: its start, with credentials masked (a token or
 * password the person pasted into a DM reached the report file and `cairn audit show`). Masked
 * before it is cut, so a key cut at the edge is still seen whole.
 */
export function exampleOf(request: string): string {
  return headOf(redactText(request), FAILURE_EXAMPLE_CHARS);
}

/** A failure mode's example as the report quotes it (forgotten-quotes.ts finds it so to remove it). */
export function failureExample(example: string): string {
  return ` (e.g. "${example.replace(/\s+/g, ' ')}")`;
}

export interface AuditActions {
  staled: string[];
  archived: string[];
  refined: string[];
  notes: string[];
}

/** How many skills, failure modes and actions the summary posted to chat names; the report file names all. */
const SUMMARY_ITEMS = 5;

/** The report file, every day, skill version, platform and failure mode in it: it grows as Cairn runs. */
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
  if (stats.perModel) lines.push(...modelLines(stats.perModel));
  lines.push('## Over time', '', '| day | tasks | rate |', '| --- | --- | --- |', ...stats.overTime.map((d) => `| ${d.day} | ${d.tasks} | ${percent(d.successRate)} |`), '');
  if (stats.tokens) lines.push(...tokenLines(stats.tokens));
  lines.push('## Failure modes', '');
  if (stats.failureModes.length === 0) lines.push('No failures.', '');
  else lines.push(...stats.failureModes.map((f) => `- **${f.mode}** × ${f.count}${f.example ? failureExample(f.example) : ''}`), '');
  lines.push('## Actions', '');
  const acted = actionLines(actions);
  lines.push(...(acted.length > 0 ? acted : ['None needed.']), '');
  return lines.join('\n');
}

/**
 * What is posted to the admin chat: the rates, the few skills doing worst, the commonest failure modes and
 * the first actions, then where the full report and its chart lie on the host. Its length does not grow
 * with the days and skill versions behind it (the whole report was a message of many parts).
 */
export function renderSummary(id: number, at: number, trigger: string, stats: AuditStats, actions: AuditActions, reportPath: string, inUse?: ReadonlyMap<string, number>): string {
  const lines = [`# Cairn audit #${id}`, '', `${new Date(at).toISOString()} · trigger: ${trigger}`, '', `- Overall: ${describe(stats.overall)}`, `- Since the previous audit: ${describe(stats.sinceLastAudit)}`];
  // A model the team switched to that does worse (a cheaper local one) shows as a lower overall rate, which the skills' lines would be blamed for.
  lines.push(...worseModelLines(stats.perModel, at), '');
  // The versions in use only: one replaced months ago (often because it did badly) kept the top of this list for good,
  // naming a skill the admin could do nothing about. The report file has every version.
  const current = (s: AuditStats['perSkill'][number]) => inUse === undefined || inUse.get(s.skill) === s.version;
  const judged = stats.perSkill.filter((s) => s.successRate !== undefined && current(s)).sort((a, b) => (a.successRate ?? 0) - (b.successRate ?? 0) || b.tasks - a.tasks);
  if (judged.length > 0) {
    const heading = inUse === undefined ? 'Lowest success rates' : 'Lowest success rates of the skill versions in use';
    lines.push(`${heading} (${shownOf(judged.length, 'skill version')}):`, ...judged.slice(0, SUMMARY_ITEMS).map((s) => `- \`${s.skill}\` v${s.version}: ${percent(s.successRate)} of ${s.tasks} tasks`), '');
  }
  if (stats.failureModes.length > 0) {
    lines.push(`Commonest failures (${shownOf(stats.failureModes.length, 'kind')}):`, ...stats.failureModes.slice(0, SUMMARY_ITEMS).map((f) => `- ${oneLine(f.mode, 100)} × ${f.count}`), '');
  }
  const acted = actionLines(actions);
  lines.push(acted.length === 0 ? 'Actions: none needed.' : 'Actions:', ...acted.slice(0, SUMMARY_ITEMS).map((line) => oneLine(line, 160)));
  if (acted.length > SUMMARY_ITEMS) lines.push(`- …and ${acted.length - SUMMARY_ITEMS} more in the report.`);
  // A relative image link shows nothing in chat: the post says where the chart lies instead.
  lines.push('', `The success rate over time is charted in \`${reportPath.replace(/\.md$/, '.svg')}\` on Cairn's host.`, `The full report (every day, skill version, platform and failure mode): \`${reportPath}\` there, or \`cairn audit show ${id}\`.`);
  return lines.join('\n');
}

/** "3 of 40 skill versions", or "2 skill versions" when all are shown. */
function shownOf(total: number, what: string): string {
  const plural = `${what}${total === 1 ? '' : 's'}`;
  return total > SUMMARY_ITEMS ? `${SUMMARY_ITEMS} of ${total} ${plural}` : `${total} ${plural}`;
}

function actionLines(actions: AuditActions): string[] {
  return [
    ...actions.refined.map((name) => `- Refined \`${name}\` (poor outcomes).`),
    ...actions.staled.map((name) => `- Marked \`${name}\` stale (unused for a while).`),
    ...actions.archived.map((name) => `- Archived \`${name}\` (unused for too long).`),
    ...actions.notes.map((note) => `- ${note}`),
  ];
}

function describe(rate: Rate): string {
  return `${percent(rate.successRate)} (${rate.success} succeeded, ${rate.failure} failed, ${rate.unknown} unknown of ${rate.tasks} tasks)`;
}

function percent(value: number | undefined): string {
  return value === undefined ? 'n/a' : percentOf(value);
}

/** Each model's tasks and rate, over the audit's window and all time, with the days it ran (UTC). */
function modelLines(models: readonly ModelRate[]): string[] {
  const day = (at: number) => new Date(at).toISOString().slice(0, 10);
  return [
    '## By model',
    '',
    '| model | first task | last task | tasks since the previous audit | rate since the previous audit | tasks overall | rate overall |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...models.map((m) => `| ${m.model?.replace(/\|/g, '\\|') ?? '(not recorded)'} | ${day(m.firstAt)} | ${day(m.lastAt)} | ${m.sinceLastAudit.tasks} | ${percent(m.sinceLastAudit.successRate)} | ${m.overall.tasks} | ${percent(m.overall.successRate)} |`),
    '',
  ];
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
