/**
 * Skill changes proposed by reflection. In `auto` mode they are applied at once
 * (the row records the result); in `propose` mode they wait for a person:
 * `cairn skills proposals`, `approve <id>`, `reject <id>`, or `/proposals` in the chat
 * (proposal-commands.ts).
 */
import { z } from 'zod';
import type { Db } from '../store/db.js';
import { CairnError, describeError } from '../core/errors.js';
import type { Skills } from '../skills/index.js';
import type { SkillChange } from './reflection-schema.js';

export interface Proposal {
  id: number;
  taskId: number | undefined;
  change: Exclude<SkillChange, { action: 'none' }>;
  status: 'pending' | 'applied' | 'rejected' | 'failed';
  detail: string | undefined;
  createdAt: number;
}

const payloadSchema = z.union([
  z.object({ action: z.literal('create'), name: z.string(), description: z.string(), body: z.string(), reason: z.string() }),
  z.object({ action: z.literal('patch'), name: z.string(), find: z.string(), replace: z.string(), reason: z.string() }),
]);

interface ProposalRow {
  id: number;
  task_id: number | null;
  payload: string;
  status: Proposal['status'];
  detail: string | null;
  created_at: number;
}

export class ProposalStore {
  private readonly statements;

  constructor(
    private readonly db: Db,
    private readonly skills: Skills | undefined,
  ) {
    this.statements = {
      insert: db.prepare("INSERT INTO skill_proposals (task_id, action, skill, payload, reason, status, created_at) VALUES (?, ?, ?, ?, ?, 'pending', ?)"),
      decide: db.prepare('UPDATE skill_proposals SET status = ?, detail = ?, decided_at = ? WHERE id = ?'),
      get: db.prepare<[number], ProposalRow>('SELECT * FROM skill_proposals WHERE id = ?'),
      pending: db.prepare<[], ProposalRow>("SELECT * FROM skill_proposals WHERE status = 'pending' ORDER BY id"),
      recent: db.prepare<[number], ProposalRow>('SELECT * FROM skill_proposals ORDER BY id DESC LIMIT ?'),
    };
  }

  add(taskId: number | undefined, change: Proposal['change'], now: number): Proposal {
    const id = Number(this.statements.insert.run(taskId ?? null, change.action, change.name, JSON.stringify(change), change.reason, now).lastInsertRowid);
    return this.get(id) as Proposal;
  }

  get(id: number): Proposal | undefined {
    const row = this.statements.get.get(id);
    return row ? toProposal(row) : undefined;
  }

  pending(): Proposal[] {
    return this.statements.pending.all().map(toProposal);
  }

  recent(limit: number): Proposal[] {
    return this.statements.recent.all(limit).map(toProposal);
  }

  /**
   * Applies a proposal through the skills layer's validated, versioned writes. Checked and
   * decided under the database's write lock: the bot's Apply button and `cairn skills
   * approve`, two processes, never both apply it.
   */
  apply(id: number, author: 'agent' | 'person', now: number): Proposal {
    const skills = this.skills;
    if (!skills) throw new CairnError('config', 'Skills are not available in this process.');
    this.db
      .transaction(() => {
        const { change } = this.requirePending(id);
        try {
          const meta = { author, reason: change.reason };
          const version =
            change.action === 'create'
              ? skills.writer.create({ name: change.name, description: change.description, body: change.body }, meta)
              : skills.writer.patch({ name: change.name, find: change.find, replace: change.replace, target: 'body' }, meta);
          this.statements.decide.run('applied', `${change.name} v${version.version}`, now, id);
        } catch (error) {
          this.statements.decide.run('failed', describeError(error), now, id);
        }
      })
      .immediate();
    return this.require(id);
  }

  reject(id: number, now: number): Proposal {
    this.db
      .transaction(() => {
        this.requirePending(id);
        this.statements.decide.run('rejected', 'rejected by a person', now, id);
      })
      .immediate();
    return this.require(id);
  }

  private require(id: number): Proposal {
    const proposal = this.get(id);
    if (!proposal) throw new CairnError('not_found', `No skill proposal has id ${id}. Run \`cairn skills proposals\`.`);
    return proposal;
  }

  private requirePending(id: number): Proposal {
    const proposal = this.require(id);
    if (proposal.status !== 'pending') throw new CairnError('invalid_input', `Proposal ${id} is already ${proposal.status}.`);
    return proposal;
  }
}

function toProposal(row: ProposalRow): Proposal {
  return {
    id: row.id,
    taskId: row.task_id ?? undefined,
    change: payloadSchema.parse(JSON.parse(row.payload)),
    status: row.status,
    detail: row.detail ?? undefined,
    createdAt: row.created_at,
  };
}
