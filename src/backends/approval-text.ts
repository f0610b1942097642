/**
 * What an admin reads about a held command: the question posted in the chat, the line that
 * replaces its instructions once it is settled, and the entry in the list of those waiting.
 *
 * The command, its directory, its stdin and the part that matched go in fenced code blocks:
 * every platform renders Markdown, and a glob shown in italics, backticks eaten as inline code
 * or `||` hidden as a Discord spoiler is not the command that runs. Each fence is longer than
 * any run of backticks in what it holds, so nothing inside can close it.
 *
 * The question fits in one message of every platform (so the edit that settles it lands in the
 * message that showed it). Where the pieces do not all fit they share the room, and a piece that
 * is cut shows its start and its end and says how much is left out between them: the admin is
 * never shown a part of a command as if it were the whole. Nor a command that reads otherwise
 * than it runs: characters that show as nothing or turn the text around are written out.
 */
import { count, headOf, tailOf } from '../core/text.js';
import type { ApprovalDecision, ApprovalRequest } from './approvals.js';

/** The fewest characters one message holds on any platform Cairn posts to (Discord's 2,000). */
const MESSAGE_CHARS = 2_000;
/** Room kept under the question for its last line: the instructions, or how it was settled. */
const LAST_LINE_CHARS = 200;
/** How much of a name the line that says who settled a request shows: a display name is the user's to choose. */
const NAME_CHARS = 80;
/** How much of what an admin said with their decision (`/deny <id> <why>`) that line shows: it and the name fit LAST_LINE_CHARS. */
const NOTE_CHARS = 100;
/** How much of a tool's reason for needing a yes (its module's words) the question shows. */
const REASON_CHARS = 300;
/** How much of a waiting command (and of its part that matched) the list of those waiting shows. */
const LISTED_CHARS = 120;
/** Fitting shrinks the pieces by what the last try overshot; a few tries settle it, and a bound ends any that does not. */
const MAX_FITS = 8;

/** A piece of the question shown in a code block: what it is, and what to say when it is cut. */
interface Piece {
  text: string;
  label: string | undefined;
  /** Said under a cut piece: where the whole of it is. */
  whereWhole?: string;
}

/**
 * The question: the command, where it runs, what it is fed on stdin, and the part that made
 * Cairn ask where what is shown does not already hold it (a long heredoc before `rm -rf ~`, or
 * `bash` with the danger on its stdin). `footer` is a line under it (whose request it is).
 */
export function approvalQuestion(id: string, request: ApprovalRequest, footer?: string): string {
  const what = request.tool === 'terminal' ? 'run a command that' : `use \`${request.tool}\` in a way that`;
  const room = MESSAGE_CHARS - LAST_LINE_CHARS - 1;
  const whole = request.toolCall ? 'The whole of its arguments is kept' : 'The whole command is kept';
  const command: Piece = { text: visible(trimEnd(request.command)), label: undefined, whereWhole: `${whole} with request ${id} in Cairn's database (table command_approvals).` };
  const stdin = request.stdin === undefined || request.stdin.trim() === '' ? undefined : { text: visible(trimEnd(request.stdin)), label: 'with this on its standard input:' };
  const pieces = [command, ...(request.cwd === undefined ? [] : [{ text: visible(request.cwd), label: 'in the directory:' }]), ...(stdin ? [stdin] : [])];
  const written = [request.command, request.stdin ?? '', request.cwd ?? ''].some((text) => HIDDEN.test(text));
  const header = [request.toolCall ? toolCallHeader(request) : `⚠️ The agent wants to ${what} ${request.danger.reason}:`, ...(written ? [WRITTEN_OUT] : [])].join('\n');
  const plain = fit(header, pieces, footer, room);
  const matched = request.danger.matched === undefined ? undefined : visible(request.danger.matched);
  if (matched === undefined || matched.trim() === '') return plain.text;
  const shownWhole = [command, stdin].filter((piece) => piece !== undefined && !plain.cut.has(piece));
  if (shownWhole.some((piece) => piece?.text.includes(matched))) return plain.text;
  return fit(header, [...pieces, { text: trimEnd(matched), label: 'The part that needs approval:' }], footer, room).text;
}

/** A tool's call (Tool.needsApproval): which tool, why, and that its arguments follow. The reason is the module's words, on one line. */
function toolCallHeader(request: ApprovalRequest): string {
  const why = request.toolCall?.reason;
  const reason = why === undefined || why.trim() === '' ? '' : ` (${cutLine(visible(why), REASON_CHARS)})`;
  return `⚠️ The agent wants to call \`${request.tool}\`${reason}, with these arguments:`;
}

/**
 * The question with how to answer it, in place of which the outcome comes once settled. `callerName`: a tool's call
 * its caller answers (approvals.ts), which they do with /confirm and /decline (the buttons send them).
 */
export function withInstructions(question: string, id: string, timeoutMs: number, callerName?: string): string {
  const whose = callerName === undefined ? undefined : cutName(callerName) === '' ? "the asker's" : `${cutName(callerName)}'s`;
  if (whose !== undefined) return `${question}\nIt waits for ${whose} yes: /confirm ${id} to go ahead, /decline ${id} to stop it. Without an answer, it is refused in ${durationOf(timeoutMs)}.`;
  return `${question}\nAn admin can allow it with /approve ${id} or refuse it with /deny ${id}. Without an answer it is refused in ${durationOf(timeoutMs)}.`;
}

/** How a request was settled, in place of its instructions and buttons. */
export function outcomeLine(decision: ApprovalDecision, timeoutMs: number): string {
  const who = cutName(decision.decidedByName ?? decision.decidedBy);
  const said = decision.note === undefined ? '' : `: ${cutLine(decision.note, NOTE_CHARS).replace(/[.!]+$/u, '')}`;
  switch (decision.status) {
    case 'approved':
      return `✅ Approved by ${who}${said}.`;
    case 'denied':
      return `🚫 Denied by ${who}${said}.`;
    case 'expired':
      return `⌛ Refused: nobody answered within ${durationOf(timeoutMs)}.`;
    case 'cancelled':
      return 'Withdrawn: the task ended before an answer.';
  }
}

/** A waiting request in the list: its command, and the part that matched where the cut command hides it. */
export function listedRequest(request: { id: string; command: string; matched: string | undefined; reason: string }): string {
  const command = visible(trimEnd(request.command));
  const lines = [`${request.id} (${request.reason}):`, ...headLines(command, LISTED_CHARS)];
  const matched = request.matched === undefined ? '' : visible(trimEnd(request.matched));
  if (matched !== '' && !headOf(command, LISTED_CHARS).includes(matched)) lines.push('The part that needs approval:', ...headLines(matched, LISTED_CHARS));
  return lines.join('\n');
}

/**
 * How long the admin has, never more than they really have: seconds under two minutes (a
 * 30-second window read as "1 minute" was refused while the admin still checked), whole
 * minutes, rounded down, above.
 */
export function durationOf(ms: number): string {
  if (ms < 1_000) return 'less than a second';
  const seconds = Math.floor(ms / 1_000);
  if (seconds < 120) return plural(seconds, 'second');
  return plural(Math.floor(seconds / 60), 'minute');
}

const plural = (n: number, unit: string) => `${count(n)} ${unit}${n === 1 ? '' : 's'}`;

function cutName(name: string): string {
  return cutLine(name, NAME_CHARS);
}

/** Text the admin chose, on one line and at most `max` characters. */
function cutLine(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${headOf(line, max - 1)}…` : line;
}

/** The question with the pieces sharing `room`, and which of them were cut. */
function fit(header: string, pieces: Piece[], footer: string | undefined, room: number): { text: string; cut: Set<Piece> } {
  const lengths = pieces.map((piece) => piece.text.length);
  const build = (allowed: number[]) => [header, ...pieces.flatMap((piece, index) => pieceLines(piece, allowed[index] ?? 0)), ...(footer === undefined ? [] : [footer])].join('\n');
  const cutBy = (allowed: number[]) => new Set(pieces.filter((_, index) => (allowed[index] ?? 0) < (lengths[index] ?? 0)));
  let contentRoom = room;
  for (let tries = 0; tries < MAX_FITS && contentRoom > 0; tries++) {
    const allowed = shares(lengths, contentRoom);
    const text = build(allowed);
    if (text.length <= room) return { text, cut: cutBy(allowed) };
    contentRoom -= text.length - room;
  }
  // Only fences of absurd length get here: each piece then says how long it is, and no more.
  const none = pieces.map(() => 0);
  return { text: build(none), cut: cutBy(none) };
}

/**
 * Shares `room` between pieces of these lengths: the shortest first, each taking what it needs
 * up to an even share of what is left, so a short directory leaves its share to a long command.
 */
function shares(lengths: number[], room: number): number[] {
  const order = lengths.map((_, index) => index).sort((a, b) => (lengths[a] ?? 0) - (lengths[b] ?? 0));
  const allowed = lengths.map(() => 0);
  let left = room;
  order.forEach((index, done) => {
    const share = Math.min(lengths[index] ?? 0, Math.floor(left / (order.length - done)));
    allowed[index] = share;
    left -= share;
  });
  return allowed;
}

/** A piece in code, whole when it fits in `allowed` characters; else its start and its end, and how much is left out. */
function pieceLines(piece: Piece, allowed: number): string[] {
  const label = piece.label === undefined ? [] : [piece.label];
  if (piece.text.length <= allowed) return [...label, codeBlock(piece.text)];
  const head = headOf(piece.text, Math.ceil(allowed / 2));
  const tail = tailOf(piece.text, allowed - head.length);
  const left = piece.text.length - head.length - tail.length;
  return [
    ...label,
    ...(head === '' ? [] : [codeBlock(head)]),
    `… ${count(left)} of its ${count(piece.text.length)} characters are not shown here …`,
    ...(tail === '' ? [] : [codeBlock(tail)]),
    ...(piece.whereWhole === undefined ? [] : [piece.whereWhole]),
  ];
}

/** The start of `text` in code, and how much more there is when that is not all of it. */
function headLines(text: string, max: number): string[] {
  const head = headOf(text, max);
  return head.length === text.length ? [codeBlock(text)] : [codeBlock(head), `… and ${count(text.length - head.length)} characters more.`];
}

/** `text` in a fenced code block whose fence no run of backticks in it can close. */
export function codeBlock(text: string): string {
  let longest = 0;
  for (const run of text.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}\n${text}\n${fence}`;
}

/**
 * Characters that show as nothing, or move the text around them: controls other than newline
 * and tab (`\r` returns over the line, ESC starts a terminal sequence), format characters
 * (zero-width spaces and joiners, the soft hyphen, text-direction marks, overrides and isolates,
 * invisible tag letters) and line and paragraph separators. A command holding U+202E showed the
 * admin `https://get.docker.com` while the shell fetched another host.
 */
const HIDDEN = /(?![\n\t])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
const HIDDEN_ALL = new RegExp(HIDDEN.source, 'gu');
const WRITTEN_OUT = 'It holds characters that do not show (controls, zero-width or text-direction marks): each is written as ⟨U+…⟩ below, where the command has the character itself.';

/** `text` with each character that does not show written as its code point (`⟨U+202E⟩`). */
function visible(text: string): string {
  return text.replace(HIDDEN_ALL, (char) => `⟨U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}⟩`);
}

/** Without trailing newlines, which a code block would show as empty lines (a loop: a regex would backtrack over a long run of them). */
function trimEnd(text: string): string {
  let end = text.length;
  while (end > 0 && (text[end - 1] === '\n' || text[end - 1] === '\r')) end--;
  return text.slice(0, end);
}
