/** Settings of the learning loop: reflection, refinement, audits and their budget. */
import { z } from 'zod';
import type { EnvBinding } from './env.js';
import { timeZoneSetting } from './time-zone.js';
import { inUnit } from './duration.js';

const PERSON_SHARE = 'must be a fraction above 0 and at most 1, e.g. 0.25 for a quarter';

export const learningSchema = z
  .object({
    /** off: never reflect; propose: a person approves skill changes; auto: apply them (default). */
    reflection: z.enum(['off', 'propose', 'auto']).default('auto'),
    /** Reflect after a task with at least this many tool calls (and after any failure). */
    reflectAfterToolCalls: z.number().int().min(1).default(3),
    /** A new skill version is judged over its first N judged uses against its predecessor. */
    refinementWindow: z.number().int().min(1).default(5),
    auditEveryTasks: z.number().int().min(0).default(15),
    // The shape only (node-cron, which checks each field, loads when the schedule starts: every command would pay for it).
    auditCron: z.string().regex(/^\s*\S+(\s+\S+){4,5}\s*$/, 'not a cron expression: five fields (minute hour day month weekday), e.g. "0 3 * * *"').default('0 3 * * *'),
    auditTimeZone: timeZoneSetting(),
    /** Tokens per UTC day the aux model may spend on reflection and audits. */
    dailyTokenBudget: z.number().int().min(0).default(200_000),
    /**
     * The most of that budget the reflections on one person's tasks may use in a day (linked accounts are one
     * person), so one member's flood of failing tasks does not leave none for the rest; 1 turns the limit off.
     */
    personShare: z
      .number({ error: PERSON_SHARE })
      .gt(0, PERSON_SHARE)
      .max(1, PERSON_SHARE)
      .default(0.25),
    staleDays: inUnit('d', z.number().positive().default(14)),
    archiveDays: inUnit('d', z.number().positive().default(30)),
    /**
     * Record turns with tool calls as tasks (their outcomes feed skill refinement and
     * audits). Batch runs on their own database turn it off: nothing reads them there,
     * and the trajectories hold the same facts.
     */
    recordTasks: z.boolean().default(true),
    /** Conversation id where audit reports are posted (e.g. `slack:T1:C9`). */
    adminChannel: z.string().min(1).optional(),
  })
  .prefault({});

export type LearningConfig = z.output<typeof learningSchema>;

export const LEARNING_ENV_BINDINGS: readonly EnvBinding[] = [
  { name: 'CAIRN_REFLECTION', path: ['learning', 'reflection'], kind: 'string', help: 'off, propose (a person approves skill changes) or auto (default).' },
  { name: 'CAIRN_AUDIT_EVERY', path: ['learning', 'auditEveryTasks'], kind: 'int', help: 'Run an audit every N tasks; 0 turns it off (default 15).' },
  { name: 'CAIRN_AUDIT_CRON', path: ['learning', 'auditCron'], kind: 'string', help: 'Cron schedule of audits (default "0 3 * * *", daily at 03:00).' },
  { name: 'CAIRN_AUDIT_TZ', path: ['learning', 'auditTimeZone'], kind: 'string', help: 'Time zone of the audit schedule (default UTC).' },
  { name: 'CAIRN_LEARNING_DAILY_TOKENS', path: ['learning', 'dailyTokenBudget'], kind: 'int', help: 'Daily token budget of reflection and audits (default 200000).' },
  { name: 'CAIRN_LEARNING_PERSON_SHARE', path: ['learning', 'personShare'], kind: 'number', help: "The most of the daily learning budget the reflections on one person's tasks may use, as a fraction (default 0.25; 1 turns the limit off)." },
  { name: 'CAIRN_ADMIN_CHANNEL', path: ['learning', 'adminChannel'], kind: 'string', help: 'Conversation id where audit reports are posted, and where approval requests of people who are not admins are asked too.' },
];
