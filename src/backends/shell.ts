/**
 * The shell scripts every back end runs. One wrapper gives all six the same
 * behaviour: the session's current directory persists across commands (kept in a
 * state file), variables are exported in the script (ssh servers refuse most env
 * requests), and the command runs in its own process group whose id is written
 * down, so a timeout can kill the whole tree from a second exec.
 */
import { CairnError } from '../core/errors.js';

/** Quotes text as one POSIX shell word. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function exportLines(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([name, value]) => {
      if (!NAME.test(name)) throw new CairnError('invalid_input', `"${name}" is not a valid environment variable name.`);
      return `export ${name}=${shellQuote(value)}`;
    })
    .join('\n');
}

export interface WrapOptions {
  /** Directory holding the session's state files (current directory, process ids). */
  stateDir: string;
  workdir: string;
  execId: string;
  command: string;
  env: Record<string, string>;
  cwd?: string | undefined;
  /** Read stdin from this file instead of the stream (back ends whose exec has no stdin). */
  stdinFile?: string | undefined;
}

/**
 * The script to hand to `sh -c`. The inner part runs under bash when installed
 * (users write bash), started by setsid so it leads a new process group; where
 * setsid is missing, job control (`set -m`) gives the same.
 */
export function wrapCommand(options: WrapOptions): string {
  const state = shellQuote(options.stateDir);
  const persist = options.cwd === undefined;
  const inner = [
    `__cairn_d=$(cat ${state}/cwd 2>/dev/null)`,
    `if [ -z "$__cairn_d" ] || ! cd -- "$__cairn_d" 2>/dev/null; then cd -- ${shellQuote(options.workdir)} || exit 125; fi`,
    'unset __cairn_d',
    exportLines(options.env),
    options.cwd === undefined ? '' : `cd -- ${shellQuote(options.cwd)} || exit 1`,
    // A trap, so the directory is kept even when the command ends with `exit`.
    persist ? `trap "pwd > ${state}/cwd 2>/dev/null" EXIT` : '',
    `eval ${shellQuote(options.command)}`,
  ]
    .filter((line) => line !== '')
    .join('\n');
  const pidFile = `${state}/pid-${options.execId}`;
  const input = options.stdinFile ? `< ${shellQuote(options.stdinFile)}` : '<&3';
  return [
    `mkdir -p ${state} 2>/dev/null`,
    'exec 3<&0',
    // bash reads ~/.bashrc when its stdin is a socket (as under sshd or Node's pipes) unless told not to.
    'if __cairn_sh=$(command -v bash 2>/dev/null); then set -- --norc --noprofile; else __cairn_sh=sh; set --; fi',
    `__cairn_inner=${shellQuote(inner)}`,
    `if command -v setsid >/dev/null 2>&1; then setsid "$__cairn_sh" "$@" -c "$__cairn_inner" cairn ${input} 3<&- &`,
    `else set -m; "$__cairn_sh" "$@" -c "$__cairn_inner" cairn ${input} 3<&- & fi`,
    `__cairn_pid=$!`,
    `echo $__cairn_pid > ${pidFile}`,
    'wait $__cairn_pid',
    '__cairn_rc=$?',
    // Its group outlives the command when it left a job running (`server &`): noted, so stopping the environment ends it.
    `if kill -s 0 -- "-$__cairn_pid" 2>/dev/null; then echo $__cairn_pid >> ${state}/groups; fi`,
    `rm -f ${pidFile}${options.stdinFile ? ` ${shellQuote(options.stdinFile)}` : ''}`,
    'exit $__cairn_rc',
  ].join('\n');
}

/** Kills the process group of one exec; waits briefly for its id file to appear. */
export function killScript(stateDir: string, execId: string): string {
  const pidFile = `${shellQuote(stateDir)}/pid-${execId}`;
  return [
    'for __i in 1 2 3 4 5 6 7 8 9 10; do',
    // dash rejects `kill -KILL -- -PID` but takes `-s KILL --`; busybox may want the short form.
    `  if [ -s ${pidFile} ]; then __p=$(cat ${pidFile}); kill -s KILL -- "-$__p" 2>/dev/null || kill -KILL "-$__p" 2>/dev/null || kill -KILL "$__p" 2>/dev/null; exit 0; fi`,
    '  sleep 0.1',
    'done',
  ].join('\n');
}

/**
 * Ends what the environment's commands left running (their process groups: jobs in the
 * background, and commands still running), then removes its directories.
 */
export function stopScript(stateDir: string, remove: readonly string[]): string {
  const state = shellQuote(stateDir);
  const killGroup = 'kill -s KILL -- "-$__p" 2>/dev/null || kill -KILL "-$__p" 2>/dev/null';
  return [
    `if [ -s ${state}/groups ]; then while read -r __p; do ${killGroup}; done < ${state}/groups; fi`,
    `for __f in ${state}/pid-*; do if [ -s "$__f" ]; then __p=$(cat "$__f"); ${killGroup}; fi; done`,
    `rm -rf -- ${remove.map(shellQuote).join(' ')}`,
  ].join('\n');
}

/** A path for the file tools' scripts: quoted, with a leading `~` the home, as the terminal's shell reads it. */
function filePath(path: string): string {
  if (path === '~') return '"$HOME"';
  return path.startsWith('~/') ? `"$HOME"/${shellQuote(path.slice(2))}` : shellQuote(path);
}

/** Reads a file as base64 (relative paths from the session's directory), refusing one too large. */
export function readFileCommand(path: string, maxBytes: number): string {
  const p = filePath(path);
  return [
    `if [ ! -f ${p} ]; then echo "No such file: "${p} >&2; exit 3; fi`,
    `__s=$(wc -c < ${p} | tr -d ' ')`,
    `if [ "$__s" -gt ${maxBytes} ]; then echo "File is $__s bytes; the limit is ${maxBytes}." >&2; exit 4; fi`,
    `base64 < ${p}`,
  ].join('\n');
}

/** Writes base64 from stdin to a file, creating its directory. */
export function writeFileCommand(path: string): string {
  const p = filePath(path);
  return `__d=$(dirname -- ${p}) && mkdir -p -- "$__d" && base64 -d > ${p}`;
}

/** A file or session name safe for every back end (container, instance and sandbox names). */
export function safeName(sessionId: string, maxLength = 48): string {
  const cleaned = sessionId.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[-.]+/, '');
  if (cleaned === sessionId && cleaned.length <= maxLength && cleaned !== '') return cleaned;
  let hash = 0;
  for (const char of sessionId) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) >>> 0;
  return `${cleaned.slice(0, maxLength - 9) || 's'}-${hash.toString(16).padStart(8, '0')}`;
}
