/**
 * Recognises commands that can wreck a machine or open it to others: recursive
 * deletes of / or a home directory, file system creation, raw writes to disks,
 * fork bombs, running a download as a script, shutdown, recursive permission
 * changes on system paths, and writes into a .ssh directory or the system's account files.
 * These need an admin's approval. It guards against accidents and a model's bad
 * idea, not against someone set on hiding a command: that is the sandbox's job.
 *
 * Every check runs in time linear in the command's length (no regex here can backtrack
 * over the whole input once per position): the model writes the command, and a check that
 * stalls on a crafted one would stall the turn and the process with it.
 */
import { posix } from 'node:path';
import { braceExpansions } from './brace-expansion.js';
import { baseName, commandWords, plainPipelines, quotedPipelines } from './command-words.js';
import { SHELLS, isInlineScriptFlag, runsDecodedText, runsStdinAsScript, spelledOutScripts } from './hidden-scripts.js';

export interface Danger {
  rule: string;
  /** Finishes "This command …", for the approval request. */
  reason: string;
  /** The part that made it dangerous (a simple command, a pipeline, a path): shown to the admin whatever else is cut. */
  matched?: string;
}

/** What the command is run with, besides itself. */
export interface CommandContext {
  /** Text fed on standard input: read as a script when the command is a bare shell (`bash`). */
  stdin?: string | undefined;
  /** The directory it runs in (the terminal's `cwd`). A relative one is not known here: the session's current directory is not. */
  cwd?: string | undefined;
}

/** `/x`, `/x/`, `/x/*` and `/x/.*`: the directory itself, or everything (dotfiles too) in it. */
const ITSELF_OR_ALL_IN_IT = String.raw`(\/|\/\*|\/\.\*)?`;
const SYSTEM_DIRECTORIES = 'bin|boot|dev|etc|home|lib|lib32|lib64|opt|proc|root|run|sbin|srv|sys|usr|var|Users';
/** Paths whose recursive deletion or permission change breaks the system or a user's home (`~bob` and macOS's /Users/ada too). */
const PROTECTED = new RegExp(
  `^(\\/(\\*|\\.\\*)?|(~[\\w.-]*|\\$HOME|\\$\\{HOME\\}|\\/(${SYSTEM_DIRECTORIES})|\\/(home|Users)\\/[^/]+)${ITSELF_OR_ALL_IN_IT})$`,
);
/** A .ssh directory of any home, wherever it lives (/var/lib/cairn/.ssh, /Users/ada/.ssh, ~/.ssh). */
const SSH_DIR = /(^|\/)\.ssh(\/|$)/;
const ACCOUNT_FILES = /\/etc\/(passwd|shadow|group|gshadow|sudoers)(\.d)?\b/;
const DISK_DEVICE = /^\/dev\/(sd|hd|vd|xvd|nvme|mmcblk|r?disk|dm-|md|loop|mapper\/)/;
/** Redirections and what they write to (`> file`, `>> file`, `2> file`). */
const REDIRECT = />{1,2}\s*["']?([^\s"';|&]+)/g;
/** A shell, `source` or `.` reading a download through process substitution: `bash <(curl …)`, `. <(wget …)`. */
const RUNS_DOWNLOAD = /(^|[\s;&|({/])((ba|z|da|k)?sh|source|\.)\s+(<\s*)?<\(\s*(curl|wget|fetch)\b/;
/** A download handed to eval, `sh -c` or a here-string as its script: `sh -c "$(curl …)"`, `bash <<< "$(curl …)"`. */
const EVALS_DOWNLOAD = /\b(eval|(ba|z|da)?sh\s+(-c|<<<))\s*["']?\$\(\s*(curl|wget)\b/;

/** A command or part of one that the rules look at. */
interface Piece {
  text: string;
  /** Its words, for a simple command only: a rule about `rm` must not read the words of the next command. */
  words: string[];
  /** The directory it runs in, where known: the given one, followed through `cd`. */
  cwd: string | undefined;
  /** What a simple command writes to (redirect, tee, copy target, in-place edit, removal), as seen from its directory. */
  writes: string[];
}

interface Rule {
  rule: string;
  reason: string;
  test(piece: Piece): boolean;
}

const RULES: Rule[] = [
  {
    rule: 'recursive-delete',
    reason: 'deletes / or a home or system directory recursively',
    test: ({ words, cwd }) => words[0] === 'rm' && (hasFlag(words, 'r') || hasFlag(words, 'R') || words.includes('--recursive') || words.includes('--no-preserve-root')) && targets(words, cwd).some(isProtected),
  },
  {
    rule: 'find-delete',
    reason: 'deletes files across / or a home directory',
    test: ({ words, cwd }) => words[0] === 'find' && isProtected(asPath(seenFrom(words[1] ?? '', cwd))) && (words.includes('-delete') || words.some((w, i) => FIND_RUNS.test(w) && baseName(words[i + 1] ?? '') === 'rm')),
  },
  {
    rule: 'mkfs',
    reason: 'creates or wipes a file system or partition table',
    test: ({ words }) => changesDisks(words),
  },
  {
    rule: 'raw-disk-write',
    reason: 'writes directly to a disk device',
    test: (piece) =>
      (piece.words[0] === 'dd' && piece.words.some((w) => /^of=\/dev\/(?!null$|zero$|stdout$|stderr$)/.test(w))) ||
      (piece.words[0] === 'shred' && piece.words.some((w) => w.startsWith('/dev/'))) ||
      // `cp debian.iso /dev/sdb`, `… | sudo tee /dev/sda`, `cat img > /dev/sdb`.
      piece.writes.some((path) => DISK_DEVICE.test(path)),
  },
  {
    rule: 'fork-bomb',
    reason: 'is a fork bomb',
    test: ({ text }) => isForkBomb(text),
  },
  {
    rule: 'pipe-to-shell',
    reason: 'runs a script straight from the network',
    test: ({ text }) => pipesDownloadIntoInterpreter(text) || RUNS_DOWNLOAD.test(text) || EVALS_DOWNLOAD.test(text),
  },
  {
    rule: 'decoded-script',
    reason: 'runs a script that is decoded only when it runs, so what it does cannot be read here',
    test: ({ text }) => runsDecodedText(text),
  },
  {
    rule: 'shutdown',
    reason: 'shuts down or restarts the machine',
    test: ({ words }) =>
      /^(shutdown|reboot|halt|poweroff)$/.test(words[0] ?? '') ||
      (/^(init|telinit)$/.test(words[0] ?? '') && /^[06]$/.test(words[1] ?? '')) ||
      (words[0] === 'systemctl' && words.some((w) => /^(poweroff|reboot|halt|kexec|emergency|rescue)$/.test(w))) ||
      (words[0] === 'kill' && words.includes('-1') && words.some((w) => /^-(9|KILL|s)$/.test(w))),
  },
  {
    rule: 'recursive-permissions',
    reason: 'changes permissions or ownership of / or a system directory recursively',
    test: ({ words, cwd }) => /^(chmod|chown|chgrp)$/.test(words[0] ?? '') && (hasFlag(words, 'R') || words.includes('--recursive')) && targets(words, cwd).some(isProtected),
  },
  {
    rule: 'ssh-keys',
    reason: 'changes ~/.ssh (keys that let someone log in)',
    test: (piece) => piece.writes.some(isSshPath) || piece.words[0] === 'ssh-copy-id' || (piece.words[0] === 'ssh-keygen' && isSshPath(seenFrom(piece.words[piece.words.indexOf('-f') + 1] ?? '', piece.cwd))),
  },
  {
    rule: 'account-files',
    reason: "changes the system's accounts or sudo rules",
    test: (piece) => piece.writes.some((path) => ACCOUNT_FILES.test(path)) || /^(visudo|useradd|usermod|chpasswd|adduser)$/.test(piece.words[0] ?? ''),
  },
];

/**
 * File system and partition tools, but not their ways of only reading the disks (`fdisk -l`,
 * `sfdisk --dump`, `parted /dev/sda print`, `wipefs` without `-a`): asking what disks a machine
 * has is an everyday question, and was held for an admin like a wipe.
 */
function changesDisks(words: string[]): boolean {
  const [command = '', ...rest] = words;
  const has = (short: string, long: string[]) => rest.some((w) => long.includes(w) || (/^-[a-zA-Z]+$/.test(w) && [...short].some((letter) => w.includes(letter))));
  switch (command) {
    case 'fdisk':
      return !has('lx', ['--list', '--list-details']);
    case 'sfdisk':
      return !has('ldJVsgF', ['--list', '--dump', '--json', '--verify', '--show-size', '--show-geometry', '--list-free']);
    case 'parted': {
      if (has('l', ['--list'])) return false;
      // After the device, only commands that show (`print`, `unit GB print free`); none at all is an interactive session.
      const commands = rest.filter((w) => !w.startsWith('-')).slice(1);
      return commands.length === 0 || !commands.every((w) => PARTED_SHOWS.test(w));
    }
    case 'wipefs':
      return has('ao', ['--all', '--offset']) && !has('n', ['--no-act']);
    default:
      return /^(mkfs(\.\w+)?|mke2fs|mkswap|blkdiscard)$/.test(command);
  }
}

/** parted commands (and their words) that only show the partition table. */
const PARTED_SHOWS = /^(p|print|free|all|devices|list|unit|help|version|s|B|[kMGT]i?B|%|cyl|chs|compact)$/;

/** The options of `find` that run a command on what it finds (`-exec /usr/bin/rm -rf {} +` too). */
const FIND_RUNS = /^-(exec|execdir|ok|okdir)$/;

const isProtected = (path: string) => PROTECTED.test(path);
const isSshPath = (path: string) => SSH_DIR.test(path);

/** The paths a simple command writes to: redirect, tee, copy target, in-place edit, removal. */
function writtenPaths(text: string, words: string[], cwd: string | undefined): string[] {
  const redirected = text.includes('>') ? [...text.matchAll(REDIRECT)].map((match) => match[1] ?? '') : [];
  const [command = '', ...rest] = words;
  const args = rest.filter((w) => !w.startsWith('-'));
  // A link is a way in: what is written through `ln -s ~/.ssh/authorized_keys k` (or by write_file to `k`) lands in its target.
  const written = /^(tee|rm|chmod|chown|chgrp|truncate|shred|ln)$/.test(command)
    ? args
    : /^(cp|mv|install|rsync|scp|dd)$/.test(command)
      ? [args.at(-1) ?? '', ...rest.filter((w) => w.startsWith('of=')).map((w) => w.slice(3))]
      : command === 'sed' && rest.some((w) => /^-\w*i/.test(w) || w.startsWith('--in-place'))
        ? args
        : [];
  return redirected.concat(written).map((path) => seenFrom(path, cwd));
}

/** The longest function name and body a fork bomb is looked for in: enough for any written by hand, and a bound on the work. */
const MAX_NAME = 64;
const MAX_BODY = 256;

/**
 * `name(){ name|name& }` in any spacing (`:(){ :|:& };:`), found by scanning for each `(){`
 * rather than with a regex whose back-reference backtracked for minutes on `a(){b}` repeated.
 */
function isForkBomb(text: string): boolean {
  if (!text.includes('(')) return false;
  const compact = text.replace(/\s+/g, '');
  for (let open = compact.indexOf('(){'); open >= 0; open = compact.indexOf('(){', open + 1)) {
    const name = functionNameBefore(compact, open);
    const body = compact.slice(open + 3, open + 3 + MAX_BODY);
    const end = body.indexOf('}');
    if (name !== '' && (end < 0 ? body : body.slice(0, end)).includes(`${name}|${name}&`)) return true;
  }
  return false;
}

function functionNameBefore(compact: string, open: number): string {
  let start = open;
  while (start > 0 && open - start < MAX_NAME && !';&|(){}\'"'.includes(compact[start - 1] ?? ';')) start--;
  // Spaces are gone: `function bomb()` reads `functionbomb()`.
  return compact.slice(start, open).replace(/^function(?=.)/, '');
}

const DOWNLOADERS = /^(curl|wget|fetch)$/;

/** `curl … | sh`, `wget -O- … | sudo python3`: a download piped into something that runs what it reads. */
function pipesDownloadIntoInterpreter(text: string): boolean {
  if (!text.includes('|')) return false;
  for (const { stages } of plainPipelines(text)) {
    const download = stages.findIndex((stage) => DOWNLOADERS.test(commandWords(stage)[0] ?? '') || /(\$\(|`)\s*(curl|wget|fetch)\b/.test(stage));
    if (download >= 0 && stages.slice(download + 1).some((stage) => runsStdinAsScript(commandWords(stage)))) return true;
  }
  return false;
}

/** How deep scripts inside scripts are read (`bash -c "eval '…'"`). */
const MAX_NESTING = 3;

/** The first danger in a command, in the script it hands a shell (`bash -c '…'`, `eval`, `$( )`) and in a script fed to a shell on stdin; or undefined. */
export function findDanger(command: string, context: CommandContext = {}): Danger | undefined {
  return dangerIn(command, startingDirectory(context.cwd), context.stdin, 0);
}

function dangerIn(command: string, cwd: string | undefined, stdin: string | undefined, depth: number): Danger | undefined {
  if (depth > MAX_NESTING) return undefined;
  let stdinRead = false;
  for (const piece of piecesOf(command, cwd)) {
    const rule = RULES.find((candidate) => candidate.test(piece));
    if (rule) return { rule: rule.rule, reason: rule.reason, matched: piece.text };
    const script = handedScript(piece.words);
    const inner = script === undefined ? undefined : dangerIn(script, piece.cwd, undefined, depth + 1);
    if (inner) return inner;
    // `echo 'rm -rf ~' | sh` and `bash <<< '…'` feed a shell a script as stdin does: read it the same way.
    for (const spelled of spelledOutScripts(piece.text, piece.words)) {
      const fed = dangerIn(spelled, piece.cwd, undefined, depth + 1);
      if (fed) return fed;
    }
    // Read once: `bash; bash; …` must not read a long stdin once per shell.
    if (stdin !== undefined && !stdinRead && script === undefined && SHELLS.test(piece.words[0] ?? '')) {
      stdinRead = true;
      const fed = dangerIn(stdin, piece.cwd, undefined, depth + 1);
      if (fed) return fed;
    }
  }
  for (const substituted of substitutionsIn(command)) {
    const inner = dangerIn(substituted, cwd, undefined, depth + 1);
    if (inner) return inner;
  }
  return undefined;
}

/** The script a simple command hands a shell: `bash -lc '…'`, `sh -ec '…'`, `eval …`. */
function handedScript(words: string[]): string | undefined {
  if (words[0] === 'eval') return words.slice(1).join(' ');
  if (!SHELLS.test(words[0] ?? '')) return undefined;
  const flags = words.findIndex((word, index) => index > 0 && isInlineScriptFlag(word));
  return flags > 0 ? words[flags + 1] : undefined;
}

/**
 * Danger in writing a file at this path (the write_file tool), however it is spelled:
 * `/etc//cron.d/x`, `/root/./.ssh/keys` and `./.ssh/keys` are checked as their plain form,
 * and a path that climbs (`../../etc/cron.d/x`) as if it climbed to the root, since the
 * working directory it starts from is not known here.
 */
export function findPathDanger(path: string): Danger | undefined {
  const plain = posix.normalize(path);
  const climbed = plain.startsWith('../') ? `/${plain.replace(/^(\.\.\/)+/, '')}` : plain;
  for (const spelling of new Set([path, plain, climbed])) {
    const danger = pathDanger(spelling);
    if (danger) return { ...danger, matched: path };
  }
  return undefined;
}

function pathDanger(path: string): Danger | undefined {
  if (isSshPath(path)) return { rule: 'ssh-keys', reason: 'writes into ~/.ssh (keys that let someone log in)' };
  if (ACCOUNT_FILES.test(path)) return { rule: 'account-files', reason: "rewrites the system's accounts or sudo rules" };
  if (DISK_DEVICE.test(path)) return { rule: 'raw-disk-write', reason: 'writes directly to a disk device' };
  if (/^\/(boot|etc\/(cron|systemd|init))/.test(path)) return { rule: 'system-files', reason: 'changes how the system boots or what it runs on its own' };
  return undefined;
}

/**
 * What the rules are tried on, smallest first so that the part shown to the admin is no more
 * than what matched: each simple command (with the directory it runs in, followed through
 * `cd`), then each pipeline of several commands (the pipe-to-shell rule needs both sides of
 * the pipe), then the whole command (a fork bomb spans `;` and `&`). The command is split both
 * as the shell does (`bash -c 'rm -rf ~; ls'` is one command) and at every separator, quotes or
 * not (an apostrophe in a heredoc's text must not hide the commands after it).
 */
function piecesOf(command: string, cwd: string | undefined): Piece[] {
  const flat = command.replace(/\\\n/g, ' ').trim();
  const readings = [plainPipelines(flat), quotedPipelines(flat)];
  const seen = new Set<string>();
  const once = (piece: Piece) => {
    const key = `${piece.cwd ?? ''}\0${piece.text}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
  const simple = readings.flatMap((pipelines) => {
    let here = cwd;
    return pipelines.flatMap((pipeline) => pipeline.stages).map((text): Piece => {
      const words = commandWords(text);
      const piece = { text, words, cwd: here, writes: writtenPaths(text, words, here) };
      if (words[0] === 'cd' || words[0] === 'pushd') here = changedDirectory(here, words);
      return piece;
    });
  });
  // A redirect belongs to one of the simple commands, already read.
  const whole = (text: string): Piece => ({ text, words: [], cwd, writes: [] });
  const piped = readings.flatMap((pipelines) => pipelines.filter((pipeline) => pipeline.stages.length > 1).map((pipeline) => whole(pipeline.text)));
  const several = readings.some((pipelines) => pipelines.length > 1);
  return [...simple, ...piped, ...(several ? [whole(flat)] : [])].filter(once);
}

/** What runs inside $( ) and backticks. */
function substitutionsIn(command: string): string[] {
  return [...command.matchAll(/\$\(([^()]*)\)|`([^`]*)`/g)].map((m) => m[1] ?? m[2] ?? '').filter((s) => s.trim() !== '');
}

function hasFlag(words: string[], letter: string): boolean {
  return words.slice(1).some((w) => /^-[a-zA-Z]+$/.test(w) && w.includes(letter));
}

/** The paths a command acts on, as seen from its directory, braces expanded as the shell does (`~/{*,.*}` is `~/*` and `~/.*`). */
function targets(words: string[], cwd: string | undefined): string[] {
  return words.slice(1).filter((w) => !w.startsWith('-')).flatMap(braceExpansions).map((w) => asPath(seenFrom(w, cwd)));
}

/** A path without the trailing slashes that do not change what it names (`/` stays `/`). */
function asPath(word: string): string {
  let end = word.length;
  while (end > 1 && word[end - 1] === '/') end--;
  return word.slice(0, end);
}

/** Starts at the root, a home or a variable: means the same whatever the current directory. */
const isRooted = (path: string) => path.startsWith('/') || path.startsWith('~') || path.startsWith('$');

/**
 * A path as the command sees it: a relative one (`*`, `.`, `./*`, `..`, `etc`) joined to the
 * directory it runs in when that is known, left as written when not (`rm -rf *` in an unknown
 * directory is an ordinary command).
 */
function seenFrom(word: string, cwd: string | undefined): string {
  if (cwd === undefined || isRooted(word)) return word;
  const joined = posix.join(cwd, word);
  // `~/..` joins to `.`: where that is, is not known.
  return isRooted(joined) ? joined : word;
}

/**
 * How long a directory followed through `cd` may grow before it counts as unknown: far deeper
 * than any protected one (they are all near the root), and a bound on the work `cd a; cd a; …` makes.
 */
const MAX_DIRECTORY = 1024;

/** A directory where it says where it is (from the root, a home, a variable) and is not absurdly long; else unknown. */
function knownDirectory(path: string): string | undefined {
  if (!isRooted(path) || path.length > MAX_DIRECTORY) return undefined;
  return path.startsWith('/') ? posix.normalize(path) : path;
}

/** The terminal's `cwd` argument, where it says where it is. */
function startingDirectory(cwd: string | undefined): string | undefined {
  return cwd === undefined ? undefined : knownDirectory(cwd);
}

/** Where `cd` goes: a home when given nothing, unknown for `cd -` or a relative path from an unknown place. */
function changedDirectory(from: string | undefined, words: string[]): string | undefined {
  if (words.includes('-')) return undefined;
  const target = words.slice(1).find((w) => !w.startsWith('-'));
  if (target === undefined) return '~';
  if (isRooted(target)) return knownDirectory(target);
  if (from === undefined || target.length > MAX_DIRECTORY) return undefined;
  const joined = posix.join(from, target);
  return isRooted(joined) && joined.length <= MAX_DIRECTORY ? joined : undefined;
}
