/**
 * Recognises commands that can wreck a machine or open it to others: recursive
 * deletes of / or a home directory, file system creation, raw writes to disks,
 * fork bombs, piping a download into a shell, shutdown, recursive permission
 * changes on system paths, and writes to ~/.ssh or the system's account files.
 * These need an admin's approval. It guards against accidents and a model's bad
 * idea, not against someone set on hiding a command: that is the sandbox's job.
 */
import { posix } from 'node:path';

export interface Danger {
  rule: string;
  /** Finishes "This command …", for the approval request. */
  reason: string;
}

/** Paths whose recursive deletion or permission change breaks the system or a user's home. */
const PROTECTED = /^(\/|\/\*|~|~\/|~\/\*|\$HOME|\$\{HOME\}|\$HOME\/\*?|\/(bin|boot|dev|etc|home|lib|lib32|lib64|opt|proc|root|run|sbin|srv|sys|usr|var)(\/\*?)?|\/home\/[^/]+(\/\*?)?)$/;
const SSH_DIR = /(^|[\s'"=:])(~|\$HOME|\$\{HOME\}|\/root|\/home\/[^/\s'"]+)?\/?\.ssh(\/|\b)/;
const ACCOUNT_FILES = /\/etc\/(passwd|shadow|group|gshadow|sudoers)(\.d)?\b/;

interface Rule {
  rule: string;
  reason: string;
  test(segment: string, words: string[]): boolean;
}

const RULES: Rule[] = [
  {
    rule: 'recursive-delete',
    reason: 'deletes / or a home or system directory recursively',
    test: (_s, words) => words[0] === 'rm' && (hasFlag(words, 'r') || hasFlag(words, 'R') || words.includes('--recursive') || words.includes('--no-preserve-root')) && targets(words).some((t) => PROTECTED.test(t)),
  },
  {
    rule: 'find-delete',
    reason: 'deletes files across / or a home directory',
    test: (_s, words) => words[0] === 'find' && PROTECTED.test(words[1] ?? '') && (words.includes('-delete') || words.some((w, i) => w === '-exec' && words[i + 1] === 'rm')),
  },
  {
    rule: 'mkfs',
    reason: 'creates or wipes a file system or partition table',
    test: (_s, words) => /^(mkfs(\.\w+)?|mke2fs|mkswap|wipefs|sfdisk|fdisk|parted|blkdiscard)$/.test(words[0] ?? ''),
  },
  {
    rule: 'raw-disk-write',
    reason: 'writes directly to a disk device',
    test: (segment, words) =>
      (words[0] === 'dd' && words.some((w) => /^of=\/dev\/(?!null$|zero$|stdout$|stderr$)/.test(w))) ||
      /(^|[^<])>\s*\/dev\/(sd|hd|vd|xvd|nvme|mmcblk|disk|dm-|md|loop)\w*/.test(segment) ||
      (words[0] === 'shred' && words.some((w) => w.startsWith('/dev/'))),
  },
  {
    rule: 'fork-bomb',
    reason: 'is a fork bomb',
    test: (segment) => /(\S+)\s*\(\s*\)\s*\{[^}]*\1\s*\|\s*\1\s*&/.test(segment.replace(/\s+/g, ' ')),
  },
  {
    rule: 'pipe-to-shell',
    reason: 'runs a script straight from the network',
    test: (segment) =>
      /\b(curl|wget|fetch)\b[^|]*\|\s*(sudo\s+(-\S+\s+)*)?(env\s+)?(ba|z|da|k|fi|c|tc)?sh\b/.test(segment) ||
      /\b(curl|wget|fetch)\b[^|]*\|\s*(sudo\s+)?(python\d?|perl|ruby|node)\b/.test(segment) ||
      /\b(ba|z|da)?sh\s+<\(\s*(curl|wget)\b/.test(segment) ||
      /\b(eval|(ba|z|da)?sh\s+-c)\s+["']?\$\(\s*(curl|wget)\b/.test(segment),
  },
  {
    rule: 'shutdown',
    reason: 'shuts down or restarts the machine',
    test: (_s, words) =>
      /^(shutdown|reboot|halt|poweroff)$/.test(words[0] ?? '') ||
      (/^(init|telinit)$/.test(words[0] ?? '') && /^[06]$/.test(words[1] ?? '')) ||
      (words[0] === 'systemctl' && words.some((w) => /^(poweroff|reboot|halt|kexec|emergency|rescue)$/.test(w))) ||
      (words[0] === 'kill' && words.includes('-1') && words.some((w) => /^-(9|KILL|s)$/.test(w))),
  },
  {
    rule: 'recursive-permissions',
    reason: 'changes permissions or ownership of / or a system directory recursively',
    test: (_s, words) => /^(chmod|chown|chgrp)$/.test(words[0] ?? '') && (hasFlag(words, 'R') || words.includes('--recursive')) && targets(words).some((t) => PROTECTED.test(t)),
  },
  {
    rule: 'ssh-keys',
    reason: 'changes ~/.ssh (keys that let someone log in)',
    test: (segment, words) => writesTo(segment, words, isSshPath) || words[0] === 'ssh-copy-id' || (words[0] === 'ssh-keygen' && isSshPath(words[words.indexOf('-f') + 1] ?? '')),
  },
  {
    rule: 'account-files',
    reason: "changes the system's accounts or sudo rules",
    test: (segment, words) => writesTo(segment, words, (w) => ACCOUNT_FILES.test(w)) || /^(visudo|useradd|usermod|chpasswd|adduser)$/.test(words[0] ?? ''),
  },
];

function isSshPath(word: string): boolean {
  return SSH_DIR.test(` ${word}`);
}

/** Does this simple command write to a path the predicate picks (redirect, tee, copy target, in-place edit, removal)? */
function writesTo(segment: string, words: string[], picks: (word: string) => boolean): boolean {
  for (const match of segment.matchAll(/>{1,2}\s*["']?([^\s"';|&]+)/g)) if (picks(match[1] ?? '')) return true;
  const [command = '', ...rest] = words;
  const args = rest.filter((w) => !w.startsWith('-'));
  if (/^(tee|rm|chmod|chown|chgrp|truncate|shred)$/.test(command)) return args.some(picks);
  if (/^(cp|mv|ln|install|rsync|scp|dd)$/.test(command)) return picks(args.at(-1) ?? '') || rest.some((w) => w.startsWith('of=') && picks(w.slice(3)));
  if (command === 'sed' && rest.some((w) => /^-\w*i/.test(w) || w.startsWith('--in-place'))) return args.some(picks);
  return false;
}

const SHELLS = /^(ba|z|da|k|fi)?sh$/;

/** The first danger in a command (and in the script it hands a shell: `bash -c '…'`, `eval`, stdin to `sh`), or undefined. */
export function findDanger(command: string, stdin?: string, depth = 0): Danger | undefined {
  if (depth > 3) return undefined;
  for (const segment of segments(command)) {
    const words = commandWords(segment);
    for (const rule of RULES) if (rule.test(segment, words)) return { rule: rule.rule, reason: rule.reason };
    const script = shellScript(words) ?? (words[0] === 'eval' ? words.slice(1).join(' ') : undefined);
    const inner = script === undefined ? undefined : findDanger(script, undefined, depth + 1);
    if (inner) return inner;
    if (stdin !== undefined && SHELLS.test(words[0] ?? '') && script === undefined) {
      const fed = findDanger(stdin, undefined, depth + 1);
      if (fed) return fed;
    }
  }
  return undefined;
}

/** The script a shell is handed with -c, in any group of flags (`bash -lc '…'`, `sh -ec '…'`). */
function shellScript(words: string[]): string | undefined {
  if (!SHELLS.test(words[0] ?? '')) return undefined;
  const flags = words.findIndex((word, index) => index > 0 && /^-[a-zA-Z]*c[a-zA-Z]*$/.test(word));
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
    if (danger) return danger;
  }
  return undefined;
}

function pathDanger(path: string): Danger | undefined {
  if (SSH_DIR.test(` ${path}`)) return { rule: 'ssh-keys', reason: 'writes into ~/.ssh (keys that let someone log in)' };
  if (ACCOUNT_FILES.test(path)) return { rule: 'account-files', reason: "rewrites the system's accounts or sudo rules" };
  if (/^\/dev\/(sd|hd|vd|xvd|nvme|mmcblk|disk|dm-|md|loop)/.test(path)) return { rule: 'raw-disk-write', reason: 'writes directly to a disk device' };
  if (/^\/(boot|etc\/(cron|systemd|init))/.test(path)) return { rule: 'system-files', reason: 'changes how the system boots or what it runs on its own' };
  return undefined;
}

/** The whole command, its pipelines, its simple commands, and what runs inside $( ) and backticks. */
function segments(command: string): string[] {
  const flat = command.replace(/\\\n/g, ' ');
  const inner = [...flat.matchAll(/\$\(([^()]*)\)|`([^`]*)`/g)].map((m) => m[1] ?? m[2] ?? '');
  // Pipelines stay whole too: the pipe-to-shell rule needs both sides of the pipe.
  const pipelines = flat.split(/;|&&|\|\||\n|(?<![>&|])&(?![>&])/);
  const simple = pipelines.flatMap((p) => p.split(/\|(?!\|)/));
  return [flat, ...pipelines, ...simple, ...inner].map((s) => s.trim()).filter((s) => s !== '');
}

const PREFIXES = /^(sudo|doas|command|builtin|exec|nice|nohup|time|env|xargs|timeout)$/;
/** Words that open a group or a clause of a compound command: what follows is a command of its own. */
const OPENERS = /^(\(|\{|!|if|then|elif|else|while|until|do)$/;

/**
 * The words of a simple command with quotes removed, sudo/env/timeout prefixes (and their
 * options) skipped, and what opens it skipped too: `(rm …)`, `{ rm …; }`, `then rm …`, `\rm`
 * (a backslash only bypasses an alias).
 */
function commandWords(segment: string): string[] {
  const words = (segment.match(/"[^"]*"|'[^']*'|\S+/g) ?? []).map((w) => w.replace(/^["']|["']$/g, '').replace(/^([^(]*?)\)+$/, '$1'));
  for (;;) {
    const first = words[0] ?? '';
    if (/^[A-Za-z_]\w*=/.test(first) || OPENERS.test(first)) words.shift();
    else if (/^[(\\]/.test(first)) words[0] = first.replace(/^[(\\]+/, '');
    else if (PREFIXES.test(first)) {
      words.shift();
      while ((words[0] ?? '').startsWith('-')) {
        const option = words.shift();
        if (/^-[ugCnpsk]$/.test(option ?? '')) words.shift();
      }
      // timeout's duration comes before the command it runs.
      if (first === 'timeout') words.shift();
    } else break;
  }
  if (words[0]) words[0] = words[0].replace(/^.*\//, '');
  return words;
}

function hasFlag(words: string[], letter: string): boolean {
  return words.slice(1).some((w) => /^-[a-zA-Z]+$/.test(w) && w.includes(letter));
}

function targets(words: string[]): string[] {
  return words.slice(1).filter((w) => !w.startsWith('-')).map((w) => (w.length > 1 ? w.replace(/\/+$/, '') || '/' : w));
}
