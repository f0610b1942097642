/**
 * The shell scripts every back end runs. One wrapper gives all six the same
 * behaviour: the session's current directory persists across commands (kept in a
 * state file), variables are exported in the script (ssh servers refuse most env
 * requests), the command runs in a session of its own (setsid) whose id is written
 * down, so a timeout can kill the whole tree from a second exec, and every process
 * it starts carries the environment's id in its variables, so stopping the
 * environment finds the daemons that left that session too. Output reaches Cairn
 * through FIFOs the wrapper reads: a job left running (`server &`) holds only those,
 * so the command returns when it ends, and the job keeps a reader until it exits.
 */
import { createHash } from 'node:crypto';
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

/** Variables every process of a command inherits: how the kill and stop scripts recognise them. */
export const ENVIRONMENT_ID_VARIABLE = 'CAIRN_ENVIRONMENT_ID';
export const COMMAND_ID_VARIABLE = 'CAIRN_COMMAND_ID';

/**
 * The id of the environment whose state lives in `stateDir`: the same for every start of one
 * session (`cairn exec --session` reattaches), different for every other session.
 */
export function environmentIdFor(stateDir: string): string {
  return createHash('sha256').update(stateDir).digest('hex').slice(0, 24);
}

/** How often, once the command's shell ended, a reader still copying its output is looked at (jobs it left may hold the FIFOs for good). */
const OUTPUT_DRAIN_SECONDS = '0.5';
/**
 * How many looks a reader is waited for at most: /proc shows no writer that is another user's
 * (a job started with sudo), and the reader of a FIFO such a job holds would otherwise keep the
 * command open until its timeout. What is left once the command ended (the FIFO's and the reader's
 * buffers, a few hundred KB) takes far less even over a slow link.
 */
const OUTPUT_DRAIN_LOOKS = 20;

export interface WrapOptions {
  /** Directory holding the session's state files (current directory, process ids). */
  stateDir: string;
  workdir: string;
  /** See environmentIdFor. */
  environmentId: string;
  execId: string;
  command: string;
  env: Record<string, string>;
  cwd?: string | undefined;
  /** Read stdin from this file instead of the stream (back ends whose exec has no stdin). */
  stdinFile?: string | undefined;
}

/**
 * The script to hand to `sh -c`. The inner part runs under bash when installed
 * (users write bash), started by setsid so it leads a new session; where setsid is
 * missing, job control (`set -m`) gives it a process group of its own.
 */
export function wrapCommand(options: WrapOptions): string {
  const state = shellQuote(options.stateDir);
  const persist = options.cwd === undefined;
  const saveCwd = `pwd >| ${state}/cwd 2>/dev/null`;
  const inner = [
    // The `.` keeps the line breaks a directory's name may end in, which `$(…)` would drop; only the one `pwd` wrote comes off.
    `__cairn_d=$(cat ${state}/cwd 2>/dev/null; echo .)`,
    '__cairn_d=${__cairn_d%.}; __cairn_d=${__cairn_d%?}',
    // The session's directory removed by a command (`rm -rf "$PWD"`) is made again, empty, rather than failing every later command.
    `if [ -z "$__cairn_d" ] || ! cd -- "$__cairn_d" 2>/dev/null; then`,
    `  if [ ! -d ${shellQuote(options.workdir)} ]; then mkdir -p -- ${shellQuote(options.workdir)} && echo ${shellQuote(`[the session's directory ${options.workdir} was gone; it is made again, empty]`)} >&2; fi`,
    `  cd -- ${shellQuote(options.workdir)} || exit 125`,
    'fi',
    'unset __cairn_d',
    exportLines(options.env),
    // After the command's own variables, so none of them can take a process out of reach.
    exportLines({ [ENVIRONMENT_ID_VARIABLE]: options.environmentId, [COMMAND_ID_VARIABLE]: options.execId }),
    // `~` as the file tools and the shell read it.
    options.cwd === undefined ? '' : `cd -- ${shellPath(options.cwd)} || exit 1`,
    // A trap, so the directory is kept even when the command ends with `exit`; `>|`, since the command may `set -C`.
    persist ? `trap ${shellQuote(saveCwd)} EXIT` : '',
    `eval ${shellQuote(options.command)}`,
    // Saved again once it returns: the command may have replaced the trap with one of its own (`trap 'rm -f "$tmp"' EXIT`).
    ...(persist ? ['__cairn_rc=$?', saveCwd, 'exit $__cairn_rc'] : []),
  ]
    .filter((line) => line !== '')
    .join('\n');
  const pidFile = `${state}/pid-${options.execId}`;
  const input = options.stdinFile ? `< ${shellQuote(options.stdinFile)}` : '<&3';
  // Descriptors 5 and 6 (the FIFOs' read ends) stay with the wrapper and its readers only.
  const start = `"$__cairn_sh" "$@" -c "$__cairn_inner" cairn ${input} 3<&- 5<&- 6<&- &`;
  return [
    `mkdir -p ${state} 2>/dev/null`,
    'exec 3<&0',
    // bash reads ~/.bashrc when its stdin is a socket (as under sshd or Node's pipes) unless told not to.
    'if __cairn_sh=$(command -v bash 2>/dev/null); then set -- --norc --noprofile; else __cairn_sh=sh; set --; fi',
    `__cairn_inner=${shellQuote(inner)}`,
    ...outputThroughFifos(state, options.execId),
    `if command -v setsid >/dev/null 2>&1; then setsid ${start}`,
    `else set -m; ${start} fi`,
    `__cairn_pid=$!`,
    `echo $__cairn_pid > ${pidFile}`,
    'wait $__cairn_pid',
    '__cairn_rc=$?',
    ...drainOutput(state, options.execId),
    // Its group outlives the command when it left a job running (`server &`): noted, so stopping the environment ends it.
    `if kill -s 0 -- "-$__cairn_pid" 2>/dev/null; then echo $__cairn_pid >> ${state}/groups; fi`,
    `rm -f ${pidFile} ${state}/out-${options.execId} ${state}/err-${options.execId}${options.stdinFile ? ` ${shellQuote(options.stdinFile)}` : ''}`,
    'exit $__cairn_rc',
  ].join('\n');
}

/**
 * Points the wrapper's stdout and stderr (so the command's) at two FIFOs, each copied to
 * Cairn's stream by a `cat`. The read ends are opened without blocking (a read-write open
 * first, closed again) and kept on 5 and 6; the FIFOs' names go with the id file at the end.
 * Where mkfifo fails, output goes straight to Cairn's streams as it did before.
 */
function outputThroughFifos(state: string, execId: string): string[] {
  const out = `${state}/out-${execId}`;
  const err = `${state}/err-${execId}`;
  const closeAll = '3<&- 5<&- 6<&- 7>&- 8>&-';
  return [
    '__cairn_r1=; __cairn_r2=',
    `if mkfifo ${out} ${err} 2>/dev/null && command exec 4<>${out} 5<${out} 4>&- 4<>${err} 6<${err} 4>&- 7>${out} 8>${err}; then`,
    `  cat <&5 ${closeAll} & __cairn_r1=$!`,
    `  cat <&6 >&2 ${closeAll} & __cairn_r2=$!`,
    '  exec >&7 2>&8 7>&- 8>&-',
    'fi',
  ];
}

/**
 * Once the command's shell ended: the wrapper lets go of the FIFOs and waits for the readers to
 * pass on what is left, looking at each one still copying every OUTPUT_DRAIN_SECONDS (a timer
 * that interrupts `wait` with USR1). While no process holds its FIFO open for writing, it only
 * has the end of the output to pass on, however slowly Cairn reads it (a congested link, a busy
 * Cairn), and is waited for. Once a job left running holds the FIFO (or where /proc cannot tell,
 * or after OUTPUT_DRAIN_LOOKS looks) the job gets a reader that throws its output away (so its
 * writes never fail) and the reader copying to Cairn is ended, which closes Cairn's streams.
 * A reader is signalled only while unreaped (its `wait` was cut short), so never a process that
 * took over its id.
 */
function drainOutput(state: string, execId: string): string[] {
  const waitFor = (reader: string) => `    if [ -n "$${reader}" ] && [ -z "$__cairn_rang" ]; then wait "$${reader}"; [ -n "$__cairn_rang" ] || ${reader}=; fi`;
  const settle = (reader: string, fd: number, fifo: string) =>
    `    if [ -n "$${reader}" ] && { [ "$__cairn_looks" -ge ${OUTPUT_DRAIN_LOOKS} ] || __cairn_written ${fifo}; }; then cat <&${fd} >/dev/null 2>&1 3<&- 5<&- 6<&- & kill -s KILL "$${reader}" 2>/dev/null; ${reader}=; fi`;
  return [
    'exec >/dev/null 2>&1',
    'if [ -n "$__cairn_r1" ]; then',
    ...FIFO_WRITTEN,
    "  trap '__cairn_rang=1' USR1",
    '  __cairn_looks=0',
    '  while [ -n "$__cairn_r1$__cairn_r2" ]; do',
    '    __cairn_rang=; __cairn_looks=$((__cairn_looks + 1))',
    `    ( sleep ${OUTPUT_DRAIN_SECONDS} 2>/dev/null || sleep 1; kill -s USR1 $$ ) </dev/null 3<&- 5<&- 6<&- & __cairn_t=$!`,
    waitFor('__cairn_r1'),
    waitFor('__cairn_r2'),
    '    kill "$__cairn_t" 2>/dev/null',
    settle('__cairn_r1', 5, `${state}/out-${execId}`),
    settle('__cairn_r2', 6, `${state}/err-${execId}`),
    '  done',
    'fi',
  ];
}

/**
 * `__cairn_written FIFO`: true when a process holds the FIFO open for writing, or when that
 * cannot be told (no /proc, no fdinfo: then every reader left is given up on, as before).
 * Each descriptor of the same file (`-ef`) is looked up in fdinfo, whose octal flags end in
 * the access mode: 1 (write only) or 2 (read and write) is a writer; the wrapper and the
 * readers hold it read only.
 */
const FIFO_WRITTEN = [
  '  __cairn_written() {',
  '    [ -d /proc/self/fdinfo ] || return 0',
  '    for __cairn_fd in /proc/[0-9]*/fd/*; do',
  '      [ "$__cairn_fd" -ef "$1" ] || continue',
  '      __cairn_flags=',
  '      { while read -r __cairn_k __cairn_v; do if [ "$__cairn_k" = flags: ]; then __cairn_flags=$__cairn_v; break; fi; done < "${__cairn_fd%/fd/*}/fdinfo/${__cairn_fd##*/}"; } 2>/dev/null',
  '      case $__cairn_flags in *[1256]) return 0;; esac',
  '    done',
  '    return 1',
  '  }',
];

/**
 * Shell functions for the kill and stop scripts. Ids that cannot be a command's are
 * refused (empty, 0, 1: `kill -- -1` would signal every process the user may), and
 * only this user's processes are touched.
 */
const KILL_FUNCTIONS = [
  '__cairn_fields() { __cairn_g=$3; __cairn_s=$4; }',
  // Group $1, then where /proc exists every group in session $1: coreutils `timeout` and other
  // supervisors move to a group of their own, but not out of the command's session.
  // $2: the command's or the environment's id. The process id may be stale (a job noted in
  // `groups` that ended long ago) and, pids wrapping at 32768 on many hosts, belong to another
  // process now, an sshd connection or someone's login shell: where /proc shows a process of that
  // id whose command line (the leader's script exports the ids) and variables hold neither, it is
  // not the command's, and nothing is killed.
  '__cairn_kill_tree() {',
  '  case $1 in ""|*[!0-9]*|0|1) return 0;; esac',
  '  if [ -e "/proc/$1" ] && ! grep -q -F -e "$2" "/proc/$1/cmdline" "/proc/$1/environ" 2>/dev/null; then return 0; fi',
  '  kill -s KILL -- "-$1" 2>/dev/null || kill -KILL "-$1" 2>/dev/null',
  '  [ -r /proc/self/stat ] || return 0',
  '  __cairn_sid=$1',
  '  for __cairn_f in /proc/[0-9]*/stat; do',
  '    { read -r __cairn_l < "$__cairn_f"; } 2>/dev/null || continue',
  // Fields after the command name (which may hold spaces): state, ppid, pgrp, session.
  '    __cairn_fields ${__cairn_l##*)}',
  '    if [ "$__cairn_s" = "$__cairn_sid" ] && [ "$__cairn_g" -gt 1 ] 2>/dev/null && [ -O "${__cairn_f%/stat}" ]; then kill -s KILL -- "-$__cairn_g" 2>/dev/null; fi',
  '  done',
  '}',
  // Every process whose variables hold $1 (NAME=value): daemons that left the session (setsid, double fork).
  // A few passes, for children forked while the first were killed.
  '__cairn_kill_tagged() {',
  '  [ -r /proc/self/environ ] || return 0',
  '  for __cairn_pass in 1 2 3; do',
  '    __cairn_hit=',
  '    for __cairn_f in $(grep -l -F -e "$1" /proc/[0-9]*/environ 2>/dev/null); do',
  '      __cairn_p=${__cairn_f#/proc/}; __cairn_p=${__cairn_p%/environ}',
  '      case $__cairn_p in ""|*[!0-9]*|0|1) continue;; esac',
  '      if [ "$__cairn_p" != "$$" ] && [ -O "/proc/$__cairn_p" ] && kill -s KILL "$__cairn_p" 2>/dev/null; then __cairn_hit=1; fi',
  '    done',
  '    [ -n "$__cairn_hit" ] || return 0',
  '  done',
  '}',
].join('\n');

/**
 * Writes down the directory of the command's leader ($1, checked to be the command's as
 * __cairn_kill_tree does, by the id $2), where /proc shows it: a SIGKILL leaves the EXIT trap
 * that saves it no chance to run, and a `cd` that worked must not be forgotten.
 */
function saveLeaderCwd(stateDir: string): string {
  return [
    '__cairn_save_cwd() {',
    '  case $1 in ""|*[!0-9]*|0|1) return 0;; esac',
    '  grep -q -F -e "$2" "/proc/$1/cmdline" "/proc/$1/environ" 2>/dev/null || return 0',
    // As the wrapper reads it back: the `.` keeps line breaks the name ends in, the one readlink adds comes off with it.
    '  __cairn_d=$(readlink "/proc/$1/cwd" 2>/dev/null && echo .) || return 0',
    '  __cairn_d=${__cairn_d%?.}',
    // Only a directory still there: the kernel marks a removed one " (deleted)".
    '  case $__cairn_d in *" (deleted)") return 0;; /*) ;; *) return 0;; esac',
    `  printf '%s\\n' "$__cairn_d" >| ${shellQuote(stateDir)}/cwd 2>/dev/null`,
    '}',
  ].join('\n');
}

/**
 * Kills one exec's session (or group), waiting briefly for its id file to appear, and every process it tagged.
 * `keepCwd`: the command runs in the session's directory (no one-off cwd), so where it moved is kept.
 */
export function killScript(stateDir: string, execId: string, options: { keepCwd: boolean }): string {
  const pidFile = `${shellQuote(stateDir)}/pid-${execId}`;
  const save = options.keepCwd ? `__cairn_save_cwd "$__cairn_leader" ${shellQuote(execId)}; ` : '';
  return [
    KILL_FUNCTIONS,
    ...(options.keepCwd ? [saveLeaderCwd(stateDir)] : []),
    'for __i in 1 2 3 4 5 6 7 8 9 10; do',
    `  if [ -s ${pidFile} ]; then __cairn_leader=$(cat ${pidFile}); ${save}__cairn_kill_tree "$__cairn_leader" ${shellQuote(execId)}; break; fi`,
    '  sleep 0.1',
    'done',
    `__cairn_kill_tagged ${shellQuote(`${COMMAND_ID_VARIABLE}=${execId}`)}`,
    'exit 0',
  ].join('\n');
}

/**
 * Ends what the environment's commands left running (processes carrying its id, and
 * the sessions of jobs in the background and of commands still running), then
 * removes its directories.
 */
export function stopScript(stateDir: string, environmentId: string, remove: readonly string[]): string {
  const state = shellQuote(stateDir);
  const id = shellQuote(environmentId);
  return [
    KILL_FUNCTIONS,
    `__cairn_kill_tagged ${shellQuote(`${ENVIRONMENT_ID_VARIABLE}=${environmentId}`)}`,
    `if [ -s ${state}/groups ]; then while read -r __p; do __cairn_kill_tree "$__p" ${id}; done < ${state}/groups; fi`,
    `for __f in ${state}/pid-*; do if [ -s "$__f" ]; then __cairn_kill_tree "$(cat "$__f")" ${id}; fi; done`,
    `rm -rf -- ${remove.map(shellQuote).join(' ')}`,
  ].join('\n');
}

/** A path for the scripts (the file tools', a command's one-off cwd): quoted, with a leading `~` the home, as the terminal's shell reads it. */
function shellPath(path: string): string {
  if (path === '~') return '"$HOME"';
  return path.startsWith('~/') ? `"$HOME"/${shellQuote(path.slice(2))}` : shellQuote(path);
}

/** Why a path that is there cannot be read as a file (read_file, send_file), and what to do instead. */
export function notAFile(path: string, directory: boolean): string {
  return directory ? `${path} is a directory, not a file: list it with the terminal (ls -la).` : `${path} is not a regular file (a device, FIFO or socket): inspect it with the terminal.`;
}

/** Reads a file as base64 (relative paths from the session's directory), refusing one too large. */
export function readFileCommand(path: string, maxBytes: number): string {
  const p = shellPath(path);
  return [
    `if [ -d ${p} ]; then printf '%s\\n' ${shellQuote(notAFile(path, true))} >&2; exit 3; fi`,
    `if [ -e ${p} ] && [ ! -f ${p} ]; then printf '%s\\n' ${shellQuote(notAFile(path, false))} >&2; exit 3; fi`,
    `if [ ! -f ${p} ]; then echo "No such file: "${p} >&2; exit 3; fi`,
    `__s=$(wc -c < ${p} | tr -d ' ')`,
    `if [ "$__s" -gt ${maxBytes} ]; then echo "File is $__s bytes; the limit is ${maxBytes}." >&2; exit 4; fi`,
    `base64 < ${p}`,
  ].join('\n');
}

/**
 * Writes base64 from stdin to a file, creating its directory. The content is decoded into a
 * temporary file beside the target first, and used only when it holds all `bytes` (when given):
 * a transfer cut off (a dropped connection ends stdin early, and base64 cut at a multiple of
 * four decodes without complaint) leaves the old file whole; a regular file is then replaced by rename, its mode, owner
 * and group kept (`cp -p` makes the temporary file its copy before it is overwritten). A symlink,
 * a file with other hard links (`find -links +1`), a device, and a file whose owner or group the
 * copy did not get (the user is not root) is written through instead, once the content is all there.
 */
export function writeFileCommand(path: string, bytes?: number): string {
  const p = shellPath(path);
  const whole =
    bytes === undefined
      ? []
      : [`__n=$(wc -c < "$__t" | tr -d ' '); if [ "$__n" != ${bytes} ]; then rm -f -- "$__t"; echo "The content arrived cut off ($__n of ${bytes} bytes): "${p}" was left as it was." >&2; exit 1; fi`];
  return [
    `__p=${p}; __d=$(dirname -- "$__p") && mkdir -p -- "$__d" || exit 1`,
    `__t="$__d/.cairn-write-$$.tmp"; rm -f -- "$__t"`,
    `if [ -f "$__p" ] && [ ! -L "$__p" ] && [ -z "$(find "$__p" -prune -links +1 2>/dev/null)" ]; then __replace=1; cp -p -- "$__p" "$__t" 2>/dev/null; else __replace=; fi`,
    // `cp -p` keeps the owner for root only, and the group only one the user is in: another's file goes on being theirs.
    `__own() { ls -ldn -- "$1" 2>/dev/null | { read -r _ _ __u __g _; echo "$__u:$__g"; }; }`,
    `if [ -n "$__replace" ] && [ "$(__own "$__p")" != "$(__own "$__t")" ]; then __replace=; fi`,
    `if ! base64 -d > "$__t"; then rm -f -- "$__t"; exit 1; fi`,
    ...whole,
    `if [ -n "$__replace" ] || [ ! -e "$__p" ] && [ ! -L "$__p" ]; then mv -f -- "$__t" "$__p" && exit 0; else cat -- "$__t" > "$__p" && rm -f -- "$__t" && exit 0; fi`,
    `rm -f -- "$__t"; exit 1`,
  ].join('\n');
}

/** A file or session name safe for every back end (container, instance and sandbox names). */
export function safeName(sessionId: string, maxLength = 48): string {
  const cleaned = sessionId.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[-.]+/, '');
  if (cleaned === sessionId && cleaned.length <= maxLength && cleaned !== '') return cleaned;
  let hash = 0;
  for (const char of sessionId) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) >>> 0;
  return `${cleaned.slice(0, maxLength - 9) || 's'}-${hash.toString(16).padStart(8, '0')}`;
}
