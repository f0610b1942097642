/**
 * `cairn memory list|search|import|export|forget --user <key>` and `cairn memory users`:
 * the operator's and scripts' side of persistent notes. The formats are a fixed
 * contract (scripts depend on them): see README.md, "Memory". Safe beside a running
 * bot: every write is one transaction under the database's write lock.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { CairnError } from '../core/errors.js';
import { systemClock } from '../core/clock.js';
import { openNotes } from '../main.js';
import type { Notes, SearchHit, SearchOptions } from '../memory/notes/index.js';
import { parseInstant, toIso } from '../memory/notes/instant.js';
import { renderNote } from '../memory/notes/recall.js';
import { DEFAULT_LIMIT } from '../memory/notes/search.js';
import type { Config } from '../config/load.js';
import type { Db } from '../store/db.js';
import { SessionStore } from '../memory/sessions.js';
import { KeptFiles } from '../core/kept-files.js';
import { writeFileAtomic } from '../store/atomic-write.js';
import { endSessionsInStore, forgetNotes } from '../memory/forget.js';
import { openDataDatabase, positiveInt, type CommandGroup, type DataDatabaseOptions } from './context.js';
import { listUsers, notesKey, renderUser, unknownUserHint, unqualifiedKeyWarning } from './memory-users.js';
import { readTextFile } from './read-text.js';

interface UserOption {
  user: string;
}

interface SearchCliOptions extends UserOption {
  limit?: string;
  since?: string;
  until?: string;
  kind?: string;
  json?: boolean;
  batch?: string;
}

export const memoryCommands: CommandGroup = ({ program, config, print }) => {
  const group = program.command('memory').description("list, search, import, export and forget a user's persistent notes");
  const withNotes = async <T>(run: (notes: Notes, db: Db, loaded: Config) => Promise<T> | T, options: DataDatabaseOptions = {}): Promise<T> => {
    const loaded = config();
    const opened = openNotes(loaded, { db: openDataDatabase(loaded, options) });
    try {
      return await run(opened.notes, opened.db, loaded);
    } finally {
      await opened.close();
    }
  };
  // Notices go to stderr: stdout is the fixed contract scripts parse.
  const notice = (line: string): void => void process.stderr.write(`cairn: ${line}\n`);
  /** The key the user's notes are read under, with a notice for a linked account or an unknown key. */
  const readKey = (notes: Notes, db: Db, user: string): string => {
    const key = notesKey(db, user, notice);
    const hint = unknownUserHint(notes.store, key);
    if (hint) notice(hint);
    return key;
  };

  group
    .command('users')
    .description('every user key with notes, how many, the newest, and the accounts linked to it')
    .option('--json', 'print a JSON array of {user, notes, newest_at, linked}')
    .action((options: { json?: boolean }) =>
      withNotes((notes, db) => {
        const users = listUsers(db, notes.store);
        if (options.json) return print(JSON.stringify(users));
        if (users.length === 0) return print('Nobody has notes yet.');
        for (const user of users) print(renderUser(user));
      }),
    );

  group
    .command('list')
    .description("the user's notes, pinned first, newest first")
    .requiredOption('-u, --user <key>', 'user key, e.g. slack:T1:U1')
    .option('-n, --limit <n>', 'most notes to show', '50')
    .option('--json', 'print a JSON array')
    .action((options: UserOption & { limit: string; json?: boolean }) =>
      withNotes((notes, db, loaded) => {
        const listed = notes.store.list(readKey(notes, db, options.user), { limit: positiveInt(options.limit, '--limit') });
        if (options.json) return print(JSON.stringify(listed.map((note) => ({ ...note, createdAt: toIso(note.createdAt), updatedAt: toIso(note.updatedAt) }))));
        if (listed.length === 0) return print(`No notes for ${options.user}.`);
        for (const note of listed) print(renderNote(note, loaded.agent.timeZone));
      }),
    );

  group
    .command('search [query]')
    .description('search the user\'s notes (BM25 + recency; fused with embeddings when CAIRN_EMBEDDINGS_MODEL is set)')
    .requiredOption('-u, --user <key>', 'user key, e.g. slack:T1:U1')
    .option('-n, --limit <n>', `most results per query (default ${DEFAULT_LIMIT})`)
    .option('--since <iso>', 'only notes created at or after this ISO 8601 date/time (without an offset: in CAIRN_TZ)')
    .option('--until <iso>', 'only notes created at or before this ISO 8601 date/time (a date: through its end; without an offset: in CAIRN_TZ)')
    .option('--kind <kind>', 'only notes of this kind')
    .option('--json', 'print JSON: an array of {id, external_id, text, kind, created_at, score}, best first')
    .option('--batch <file>', 'JSONL of {"id", "query"}: prints one {"id", "results"} line per query')
    .action((query: string | undefined, options: SearchCliOptions) =>
      withNotes(async (notes, db, loaded) => {
        // Dates as people give them, in CAIRN_TZ, as memory_search and /memory read them.
        const zone = loaded.agent.timeZone;
        const base = searchOptions(options, zone);
        const key = readKey(notes, db, options.user);
        if (options.batch) {
          const queries = readBatch(options.batch);
          const results = await notes.search.searchMany(key, queries.map((q) => ({ query: q.query, options: base })));
          queries.forEach((q, index) => print(JSON.stringify({ id: q.id, results: (results[index] ?? []).map(toResult) })));
          return;
        }
        const hits = await notes.search.search(key, query ?? '', base);
        if (options.json) return print(JSON.stringify(hits.map(toResult)));
        if (hits.length === 0) return print('No notes match.');
        for (const hit of hits) print(`${hit.score.toFixed(3)}  ${renderNote(hit.note, zone)}`);
      }),
    );

  group
    .command('import <file>')
    .description('import notes from JSONL ({"text", "created_at", "kind"?, "external_id"?} per line), all or nothing')
    .requiredOption('-u, --user <key>', 'user key, e.g. slack:T1:U1')
    .action((file: string, options: UserOption) =>
      withNotes((notes, db) => {
        const content = readTextFile(file);
        const key = notesKey(db, options.user, notice);
        const { imported, alreadyThere } = notes.import(key, content, file, (done, total) => {
          // Progress goes to stderr, synchronously, so it shows even during the one long transaction.
          if (total >= 10_000) process.stderr.write(done === 0 ? `Importing ${total} notes…\n` : `… ${done} of ${total}\n`);
        });
        const warning = unqualifiedKeyWarning(notes.store, key);
        if (warning) notice(warning);
        print(`Imported ${imported} notes for ${options.user}.${alreadyThere > 0 ? ` ${alreadyThere} ${alreadyThere === 1 ? 'was' : 'were'} there already (same text and date), and kept as they are.` : ''}`);
      }, { create: true }),
    );

  group
    .command('export')
    .description('every note of the user as JSONL (imports back losslessly)')
    .requiredOption('-u, --user <key>', 'user key, e.g. slack:T1:U1')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action((options: UserOption & { output?: string }) =>
      withNotes((notes, db) => {
        const lines = notes.exportLines(readKey(notes, db, options.user));
        if (options.output) {
          // A person's notes, superseded ones too: readable by the owner only, whatever the umask, and never half-written.
          writeFileAtomic(options.output, lines.map((line) => `${line}\n`).join(''), { mode: 0o600 });
          process.stderr.write(`Exported ${lines.length} notes to ${options.output}.\n`);
          return;
        }
        for (const line of lines) print(line);
      }),
    );

  group
    .command('forget <id>')
    .description('delete one note by id (with the older versions it replaced), or "all" of the user\'s notes')
    .requiredOption('-u, --user <key>', 'user key, e.g. slack:T1:U1')
    .action((id: string, options: UserOption) =>
      withNotes((notes, db, loaded) => {
        const key = readKey(notes, db, options.user);
        const all = id.toLowerCase() === 'all';
        const target = all ? 'all' : positiveInt(id, 'the note id');
        const sessions = new SessionStore(db);
        // The same procedure as /forget: a running Cairn starts the next conversation afresh.
        const forget = forgetNotes({
          notes: notes.store,
          sessions,
          clock: systemClock,
          endSessions: endSessionsInStore(sessions, systemClock, notes.sessionEnded),
          forgetFiles: (userId) => new KeptFiles(db, systemClock, 0).forgetUser(userId),
          auditsDir: join(loaded.dataDir, 'audits'),
        });
        const { deleted, files, ended } = forget(key, target);
        if (all) {
          print(`Deleted ${deleted} notes of ${options.user}.`);
          if (files > 0) print(`Deleted ${files === 1 ? 'the file' : `the ${files} files`} they sent that ${files === 1 ? 'was' : 'were'} kept.`);
        } else {
          if (deleted === 0) throw new CairnError('not_found', `${options.user} has no note ${id}. \`cairn memory list --user ${options.user}\` shows the ids.`);
          print(`Deleted note ${id}${deleted > 1 ? ` and ${deleted - 1} older versions` : ''}.`);
        }
        if (ended > 0) print(`Ended ${ended === 1 ? 'their conversation' : `${ended} of their conversations`} in progress, which may have held it; the next message starts afresh.`);
      }),
    );
};

function toResult(hit: SearchHit) {
  const { note } = hit;
  return { id: note.id, external_id: note.externalId ?? null, text: note.text, kind: note.kind, created_at: toIso(note.createdAt), score: hit.score };
}

function searchOptions(options: SearchCliOptions, timeZone: string): SearchOptions {
  const since = options.since === undefined ? undefined : parseInstant(options.since, 'start', timeZone);
  const until = options.until === undefined ? undefined : parseInstant(options.until, 'end', timeZone);
  if (since === null) throw new CairnError('invalid_input', `--since "${options.since}" is not an ISO 8601 date or date-time (e.g. 2026-03-01 or 2026-03-01T12:00:00Z).`);
  if (until === null) throw new CairnError('invalid_input', `--until "${options.until}" is not an ISO 8601 date or date-time (e.g. 2026-03-31).`);
  // The wrong way round matches nothing, and "No notes match" reads as "nothing happened then" (memory_search refuses it too).
  if (since !== undefined && until !== undefined && since > until) throw new CairnError('invalid_input', `--since ${options.since} is after --until ${options.until}: give the earlier date as --since.`);
  return {
    limit: options.limit === undefined ? DEFAULT_LIMIT : positiveInt(options.limit, '--limit'),
    since,
    until,
    kind: options.kind,
  };
}

const batchLine = z.object({ id: z.union([z.string(), z.number()]), query: z.string() });

function readBatch(file: string): z.infer<typeof batchLine>[] {
  const queries: z.infer<typeof batchLine>[] = [];
  readTextFile(file)
    .split('\n')
    .forEach((raw, index) => {
      if (raw.trim() === '') return;
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch {
        throw new CairnError('invalid_input', `Line ${index + 1} of ${file} is not valid JSON; each line must be {"id": "...", "query": "..."}.`);
      }
      const parsed = batchLine.safeParse(value);
      if (!parsed.success) throw new CairnError('invalid_input', `Line ${index + 1} of ${file} needs "id" (string) and "query" (string).`);
      queries.push(parsed.data);
    });
  return queries;
}
