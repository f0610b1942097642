/**
 * How the danger check (danger.ts) reads a command line: its pipelines, their stages, and the
 * words of a simple command as the shell makes them. Everything here runs in time linear in
 * the command's length: the model writes the command, and a check that stalls stalls the turn.
 */

/** A command's name without the directory it was called by (`/usr/bin/rm` is `rm`). */
export const baseName = (word: string) => word.slice(word.lastIndexOf('/') + 1);

/** A pipeline as written, and its stages. */
export interface Pipeline {
  text: string;
  stages: string[];
}

/**
 * The pipelines of a command list, each with its stages: split at `;`, `&&`, `||`, newlines, a
 * lone `&` and `|`, wherever they are, quotes or not. Quotes are ignored on purpose: an
 * apostrophe in a heredoc's text (`it's`) opens no quote, and must not hide the commands after it.
 */
export function plainPipelines(command: string): Pipeline[] {
  return command
    .split(/;|&&|\|\||\n|(?<![>&|])&(?![>&])/)
    .map((text) => ({ text: text.trim(), stages: stagesOf(text) }))
    .filter((pipeline) => pipeline.stages.length > 0);
}

/** The stages of one pipeline, split at each `|` (not `||`). */
export function stagesOf(pipeline: string): string[] {
  return pipeline.split(/\|(?!\|)/).map((s) => s.trim()).filter((s) => s !== '');
}

/**
 * The pipelines of a command list as the shell splits it: a `;`, `&&`, `|` or newline inside
 * quotes is part of a word. `bash -c 'rm -rf ~; ls'` is one command whose script holds two, which
 * plainPipelines cut in half (`bash -c 'rm -rf ~` handed the shell `rm` alone).
 */
export function quotedPipelines(command: string): Pipeline[] {
  const pipelines: Pipeline[] = [];
  let stages: string[] = [];
  let start = 0;
  let pipelineStart = 0;
  let stageEnd = 0;
  let quote: string | undefined;
  const cut = (end: number, next: number) => {
    const stage = command.slice(start, end).trim();
    if (stage !== '') stages.push(stage);
    stageEnd = end;
    start = next;
  };
  const endPipeline = () => {
    if (stages.length > 0) pipelines.push({ text: command.slice(pipelineStart, stageEnd).trim(), stages });
    stages = [];
    pipelineStart = start;
  };
  for (let index = 0; index < command.length; index++) {
    const char = command[index];
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
      else if (char === '\\' && quote === '"') index++;
      continue;
    }
    if (char === '\\') index++;
    else if (char === '"' || char === "'") quote = char;
    else if (char === ';' || char === '\n') {
      cut(index, index + 1);
      endPipeline();
    } else if (char === '&' || char === '|') {
      const next = command[index + 1];
      if (next === char) {
        // `&&` or `||`.
        cut(index, index + 2);
        endPipeline();
        index++;
      } else if (char === '|') {
        // `|&` pipes stderr too.
        const skip = next === '&' ? 2 : 1;
        cut(index, index + skip);
        index += skip - 1;
      } else if (command[index - 1] !== '>' && command[index - 1] !== '<' && next !== '>') {
        // A lone `&`, not one of the redirections `>&`, `<&`, `&>`.
        cut(index, index + 1);
        endPipeline();
      }
    }
  }
  cut(command.length, command.length);
  endPipeline();
  return pipelines;
}

/**
 * The words of a command as the shell makes them: quoted and unquoted parts of one word joined
 * (`r''m` is `rm`, `"$DIR"/*` one word, not `$DIR` and `/*`), a backslash escaping the character
 * after it, and a `#` that starts a word starting a comment. A quote left open takes the rest.
 */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: string | undefined;
  for (let index = 0; index < text.length; index++) {
    const char = text[index] ?? '';
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
      else if (char === '\\' && quote === '"' && '"\\$`'.includes(text[index + 1] ?? ' ')) word += text[++index];
      else word += char;
      continue;
    }
    if (/\s/.test(char)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    if (char === '#' && !inWord) break;
    inWord = true;
    if (char === '"' || char === "'") quote = char;
    else if (char === '\\') word += text[++index] ?? '';
    else word += char;
  }
  if (inWord) words.push(word);
  return words;
}

/**
 * The options of the commands that run another command which take a value in the next word,
 * per command: `-n` is a flag of `sudo` (`sudo -n rm -rf /` is run without a prompt) but takes
 * a value in `nice -n 10`. Short ones as letters, long ones with their dashes.
 */
const VALUE_OPTIONS: Record<string, { short: string; long: string[] }> = {
  sudo: { short: 'ugCprtUDRT', long: ['--user', '--group', '--close-from', '--prompt', '--role', '--type', '--other-user', '--chdir', '--chroot', '--command-timeout'] },
  doas: { short: 'uC', long: [] },
  env: { short: 'uC', long: ['--unset', '--chdir'] },
  nice: { short: 'n', long: ['--adjustment'] },
  timeout: { short: 'sk', long: ['--signal', '--kill-after'] },
  xargs: { short: 'adEILnPs', long: ['--arg-file', '--delimiter', '--eof', '--replace', '--max-lines', '--max-args', '--max-procs', '--max-chars', '--process-slot-var'] },
  exec: { short: 'a', long: [] },
  time: { short: 'fo', long: ['--format', '--output'] },
  command: { short: '', long: [] },
  builtin: { short: '', long: [] },
  nohup: { short: '', long: [] },
};

/** Words that open a group or a clause of a compound command: what follows is a command of its own. */
const OPENERS = /^(\(|\{|!|if|then|elif|else|while|until|do)$/;

/** Whether an option word of `prefix` takes the next word as its value (`-u root`, `-iu root`, `--user root`; not `-uroot`, `--user=root`). */
function takesNextWord(prefix: string, option: string): boolean {
  const known = VALUE_OPTIONS[prefix];
  if (!known) return false;
  if (option.startsWith('--')) return known.long.includes(option);
  // In a group of short options the first that takes a value takes the rest of the group, or the next word when it ends the group.
  const letters = option.slice(1);
  const first = [...letters].findIndex((letter) => known.short.includes(letter));
  return first >= 0 && first === letters.length - 1;
}

/**
 * The words of a simple command with quotes removed, sudo/env/timeout prefixes (and their
 * options) skipped, and what opens it skipped too: `(rm …)`, `{ rm …; }`, `then rm …`, `\rm`
 * (a backslash only bypasses an alias).
 */
export function commandWords(segment: string): string[] {
  const words = shellWords(segment).map(withoutClosingParens);
  // An index rather than shift(): a command of thousands of `(` stays linear.
  let first = 0;
  for (;;) {
    const word = words[first] ?? '';
    if (/^[A-Za-z_]\w*=/.test(word) || OPENERS.test(word)) first++;
    else if (word.startsWith('(')) words[first] = word.replace(/^\(+/, '');
    else if (Object.hasOwn(VALUE_OPTIONS, word)) {
      first++;
      while ((words[first] ?? '').startsWith('-')) {
        const option = words[first++] ?? '';
        if (option === '--') break;
        if (takesNextWord(word, option)) first++;
      }
      // timeout's duration comes before the command it runs.
      if (word === 'timeout') first++;
    } else break;
  }
  const command = words.slice(first);
  if (command[0]) command[0] = baseName(command[0]);
  return command;
}

/** A word without the `)` that closes a group or substitution around it (`(rm -rf ~)`). */
function withoutClosingParens(word: string): string {
  if (word.includes('(')) return word;
  let end = word.length;
  while (end > 0 && word[end - 1] === ')') end--;
  return word.slice(0, end);
}
