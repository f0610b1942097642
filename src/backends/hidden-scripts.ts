/**
 * Scripts a command hands a shell in a form the danger check could not read as written: text
 * decoded only when it runs (`… | base64 -d | sh`, `eval "$(… | base64 -d)"`) and a script
 * spelled out in the command and fed to a shell (`echo 'rm -rf ~' | sh`, `bash <<< '…'`). A
 * page or a pasted message that wants the agent to run something it would be asked about writes
 * it these ways. The first is held as such; the second is read as the script it is (danger.ts).
 * Linear in the command's length, as everything the check runs.
 */
import { commandWords, quotedPipelines, stagesOf } from './command-words.js';

export const SHELLS = /^(ba|z|da|k|fi)?sh$/;

/** `-c` in any group of a shell's flags (`-lc`, `-ec`). */
export const isInlineScriptFlag = (word: string) => /^-[a-zA-Z]+$/.test(word) && word.includes('c');

/** A shell or interpreter with no code of its own (`sh -c '…'`, `python3 -m json.tool`, `node -e …` read stdin as data). */
export function runsStdinAsScript(words: string[]): boolean {
  const [command = '', ...flags] = words;
  if (SHELLS.test(command) || /^t?csh$/.test(command)) return !flags.some(isInlineScriptFlag);
  if (/^python[\d.]*$/.test(command)) return !flags.some((w) => /^-[a-zA-Z]*[cm]/.test(w));
  if (/^(perl|ruby|node)$/.test(command)) return !flags.some((w) => /^-[a-zA-Z]*[eEp]/.test(w));
  return false;
}

/** A short flag group holding one of these letters (`-d`, `-rp`), or one of the long forms. */
const hasOption = (words: string[], letters: string, long: string[]) => words.some((w) => long.includes(w) || (/^-[a-zA-Z]+$/.test(w) && [...letters].some((l) => w.includes(l))));

/** A command that turns encoded text back into what it encodes: base64/base32 `-d`, `xxd -r`, `openssl … -d`, `uudecode`. */
function decodes(words: string[]): boolean {
  const [command = '', ...rest] = words;
  if (/^(base64|base32|basenc)$/.test(command)) return hasOption(rest, 'dD', ['--decode']);
  if (command === 'xxd') return hasOption(rest, 'r', ['-revert']);
  if (command === 'openssl') return rest.includes('-d') || rest.includes('-decrypt');
  return command === 'uudecode';
}

const decodingPipeline = (text: string) => stagesOf(text).some((stage) => decodes(commandWords(stage)));

/** What runs inside `$( )`, backticks and `<( )` (one level: the check reads nested ones as it reads scripts). */
const SUBSTITUTION = /(?:\$|<)\(([^()]*)\)|`([^`]*)`/g;
/** eval, `sh -c` or a shell or `source` reading a process substitution, anywhere in the text. */
const RUNS_TEXT = /(^|[\s;&|({])(eval|(ba|z|da|k)?sh\s+-[a-zA-Z]*c|((ba|z|da|k)?sh|source|\.)\s+(<\s*)?<\()/;

/**
 * Decoded text run as a script: piped into a shell or interpreter, or handed to eval, `sh -c`
 * or `bash <( )` from a substitution that decodes. What it runs is known only when it runs.
 */
export function runsDecodedText(text: string): boolean {
  if (text.includes('|')) {
    for (const { stages } of quotedPipelines(text)) {
      const decoder = stages.findIndex((stage) => decodes(commandWords(stage)));
      if (decoder >= 0 && stages.slice(decoder + 1).some((stage) => runsStdinAsScript(commandWords(stage)))) return true;
    }
  }
  if (!RUNS_TEXT.test(text)) return false;
  return [...text.matchAll(SUBSTITUTION)].some((match) => decodingPipeline(match[1] ?? match[2] ?? ''));
}

/** The text `echo` or `printf` writes, as far as it can be told from the command (`printf`'s `\n` as line breaks). */
function printedText(words: string[]): string | undefined {
  const [command, ...rest] = words;
  if (command === 'echo') {
    let first = 0;
    while (/^-[neE]+$/.test(rest[first] ?? '')) first++;
    return rest.slice(first).join(' ');
  }
  if (command === 'printf') return rest[0]?.replace(/\\n/g, '\n');
  return undefined;
}

/**
 * The script a simple command or pipeline spells out for a shell to read on stdin:
 * `echo 'rm -rf ~' | sh`, `printf '…' | bash -s`, `bash <<< '…'`; none for most commands.
 */
export function spelledOutScripts(text: string, words: string[]): string[] {
  const scripts: string[] = [];
  if (SHELLS.test(words[0] ?? '')) {
    const at = words.findIndex((word) => word.startsWith('<<<'));
    const herestring = at < 0 ? undefined : (words[at] ?? '').length > 3 ? words[at]?.slice(3) : words[at + 1];
    if (herestring !== undefined) scripts.push(herestring);
  }
  if (words.length === 0 && text.includes('|')) {
    for (const { stages } of quotedPipelines(text)) {
      stages.forEach((stage, index) => {
        const next = stages[index + 1];
        const printed = next !== undefined && SHELLS.test(commandWords(next)[0] ?? '') && runsStdinAsScript(commandWords(next)) ? printedText(commandWords(stage)) : undefined;
        if (printed !== undefined) scripts.push(printed);
      });
    }
  }
  return scripts;
}
