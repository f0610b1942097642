/**
 * Skill changes proposed by reflection. In `auto` mode they are applied at once
 * (the row records the result); in `propose` mode they wait for a person:
 * `cairn skills proposals`, `approve <id>`, `reject <id> [why]`, or `/proposals` in the chat
 * (proposal-commands.ts). Who rejected one and why is kept (migration 033) and told to reflection
 * before it proposes to that skill again (reflection.ts).
 *
 * A patch is find/replace on the text it was written against, so each proposal records that
 * text's version and hash (its base). Applied after the skill changed — another proposal for
 * the same fix applied first, a person's edit — it would land on text it was never meant for
 * (the same line added twice), so it fails instead and says why.
 */
import { z } from 'zod';
import type { Db } from '../store/db.js';
import { CairnError, describeError } from '../core/errors.js';
import type { LoadedSkill, Skills } from '../skills/index.js';
import type { SkillChange } from './reflection-schema.js';

export interface Proposal {
  id: number;
  taskId: number | undefined;
  change: Exclude<SkillChange, { action: 'none' }>;
  status: 'pending' | 'applied' | 'rejected' | 'failed';
  detail: string | undefined;
  createdAt: number;
  /** The skill as the change was written against it; undefined for a new skill, or a proposal made before bases were recorded. */
  base: ProposalBase | undefined;
  /** Who rejected it (migration 033): a platform user id, or `cli` for `cairn skills reject`; undefined before it. */
  decidedBy?: string | undefined;
  /** Their name as the platform gives it, where it did. */
  decidedByName?: string | undefined;
  /** Why, in the rejecting admin's words (`/proposals reject <id> <why>`, `cairn skills reject <id> --reason`). */
  decisionNote?: string | undefined;
}

/** Who rejects a proposal: the platform user id (or CLI_DECIDER) and the name the platform gives them. */
export interface Decider {
  id: string;
  name?: string | undefined;
}

/** `decided_by` of a proposal rejected with `cairn skills reject`. */
export const CLI_DECIDER = 'cli';

/** The version of a skill a patch was written against, and the hash of its text (what applying checks). */
export interface ProposalBase {
  version: number;
  hash: string;
}

/** A skill as it is now, as the base of a change proposed to it. */
export function proposalBase(skills: Skills, skill: LoadedSkill, now: number): ProposalBase {
  return { version: skills.versions.ensure(skill, now).version, hash: skill.document.hash };
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
  base_version: number | null;
  base_hash: string | null;
  decided_by: string | null;
  decided_by_name: string | null;
  decision_note: string | null;
}

export class ProposalStore {
  private readonly statements;

  constructor(
    private readonly db: Db,
    private readonly skills: Skills | undefined,
  ) {
    this.statements = {
      insert: db.prepare("INSERT INTO skill_proposals (task_id, action, skill, payload, reason, status, created_at, base_version, base_hash) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?)"),
      decide: db.prepare('UPDATE skill_proposals SET status = ?, detail = ?, decided_at = ? WHERE id = ?'),
      reject: db.prepare("UPDATE skill_proposals SET status = 'rejected', detail = 'rejected by a person', decided_at = ?, decided_by = ?, decided_by_name = ?, decision_note = ? WHERE id = ?"),
      note: db.prepare('UPDATE skill_proposals SET decision_note = ? WHERE id = ? AND decision_note IS NULL'),
      rejectedFor: db.prepare<[string, number], ProposalRow>("SELECT * FROM skill_proposals WHERE skill = ? AND status = 'rejected' ORDER BY id DESC LIMIT ?"),
      get: db.prepare<[number], ProposalRow>('SELECT * FROM skill_proposals WHERE id = ?'),
      pending: db.prepare<[], ProposalRow>("SELECT * FROM skill_proposals WHERE status = 'pending' ORDER BY id"),
      recent: db.prepare<[number], ProposalRow>('SELECT * FROM skill_proposals ORDER BY id DESC LIMIT ?'),
    };
  }

  /**
   * Records a proposal. `base` is the skill as the proposer saw it (reflection passes what it
   * showed the model); without one, a patch is taken to be written against the skill as it is now.
   */
  add(taskId: number | undefined, change: Proposal['change'], now: number, base?: ProposalBase): Proposal {
    const against = change.action === 'patch' ? (base ?? this.currentBase(change.name, now)) : undefined;
    const id = Number(this.statements.insert.run(taskId ?? null, change.action, change.name, JSON.stringify(change), change.reason, now, against?.version ?? null, against?.hash ?? null).lastInsertRowid);
    return this.get(id) as Proposal;
  }

  /** Proposals waiting for a person that would change the skill `name`. */
  pendingFor(name: string): Proposal[] {
    return this.pending().filter((proposal) => proposal.change.name === name);
  }

  /**
   * A proposal waiting for a person that `change` would repeat: a new skill of the same name (only one
   * of the two could ever be applied), or the same find and replace in the same skill.
   */
  waitingLike(change: Proposal['change']): Proposal | undefined {
    return this.pendingFor(change.name).find(({ change: other }) => {
      if (change.action === 'create' || other.action === 'create') return change.action === other.action;
      return other.find === change.find && other.replace === change.replace;
    });
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
        const proposal = this.requirePending(id);
        const { change } = proposal;
        const changed = this.changedSince(proposal, skills, now);
        if (changed) {
          this.statements.decide.run('failed', changed, now, id);
          return;
        }
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

  private currentBase(name: string, now: number): ProposalBase | undefined {
    const skill = this.skills?.find(name);
    return this.skills && skill ? proposalBase(this.skills, skill, now) : undefined;
  }

  /** Why a patch may no longer be applied: its skill changed since it was proposed; undefined when it may. */
  private changedSince(proposal: Proposal, skills: Skills, now: number): string | undefined {
    const { change, base } = proposal;
    const skill = change.action === 'patch' ? skills.find(change.name) : undefined;
    // A new skill, or a patch to one that is gone: the write itself says what is wrong.
    if (!skill) return undefined;
    if (base) {
      if (skill.document.hash === base.hash) return undefined;
      const current = skills.versions.ensure(skill, now).version;
      return `the skill "${change.name}" changed since it was proposed (version ${base.version} then, version ${current} now), so the patch was not applied to text it was not written for.`;
    }
    // Proposed before bases were recorded: a version recorded after the proposal means the skill changed under it.
    const latest = skills.versions.latest(change.name);
    if (latest && latest.createdAt > proposal.createdAt) return `the skill "${change.name}" changed since it was proposed (version ${latest.version} came after it), so the patch was not applied to text it was not written for.`;
    return undefined;
  }

  /**
   * Why a waiting proposal can no longer be applied as it stands (what apply would say, in short), read
   * without recording anything: undefined when it may. For lists, so a stale one is seen before it is opened.
   */
  wontApply(proposal: Proposal): string | undefined {
    const { change, base } = proposal;
    if (!this.skills) return undefined;
    const skill = this.skills.find(change.name);
    if (change.action === 'create') return skill ? `a skill named "${change.name}" exists now` : undefined;
    if (!skill) return `the skill "${change.name}" is gone (archived or removed)`;
    if (base && skill.document.hash !== base.hash) return `the skill "${change.name}" changed since (it was version ${base.version})`;
    return undefined;
  }

  /**
   * Rejects a waiting proposal, keeping who and why. A reason given for one already rejected without
   * one (the admin channel's Reject button carries no words) is kept too: said afterwards, it is the
   * same reason, and reflection reads it all the same.
   */
  reject(id: number, now: number, by?: Decider, note?: string): Proposal {
    const why = note?.trim() || undefined;
    this.db
      .transaction(() => {
        const proposal = this.require(id);
        if (proposal.status === 'rejected' && why !== undefined && proposal.decisionNote === undefined) {
          this.statements.note.run(why, id);
          return;
        }
        this.requirePending(id);
        this.statements.reject.run(now, by?.id ?? null, by?.name ?? null, why ?? null, id);
      })
      .immediate();
    return this.require(id);
  }

  /** The newest rejected proposals for the skill `name` (a change to it, or a new skill of that name), newest first. */
  rejectedFor(name: string, limit: number): Proposal[] {
    return this.statements.rejectedFor.all(name, limit).map(toProposal);
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
    base: row.base_version !== null && row.base_hash !== null ? { version: row.base_version, hash: row.base_hash } : undefined,
    decidedBy: row.decided_by ?? undefined,
    decidedByName: row.decided_by_name ?? undefined,
    decisionNote: row.decision_note ?? undefined,
  };
}
