/**
 * What Cairn can read of the files a message carries, turned into text in the message:
 * text files (logs, code, CSV, JSON…) as they are; voice messages and audio through
 * the transcription model; images through the vision model. Each part is marked with
 * what it came from. What cannot be read stays among the attachments, named to the
 * model as out of its sight. Reading runs before the turn, so the session keeps the
 * words and later turns and note extraction see them too.
 */
import { extname } from 'node:path';
import type { InboundFile, InboundMessage } from './message.js';
import type { Logger } from './logger.js';
import { CairnError, describeError } from './errors.js';
import type { Transcriber } from '../model/transcribe.js';
import type { ImageDescriber } from '../model/vision.js';
import { listed } from './attachments.js';

export type FileKind = 'text' | 'audio' | 'image';

export interface FileReaderOptions {
  maxInputChars: number;
  logger: Logger;
  /** Turns voice messages into text; without one they stay unread. */
  transcriber?: Transcriber | undefined;
  /** Describes images; without one they stay unread. */
  describer?: ImageDescriber | undefined;
}

/** The most a vision endpoint takes per image (OpenAI's limit). */
const MAX_IMAGE_BYTES = 20 * 1024 * 1024;

const TEXT_TYPE = /^(text\/|application\/(json|x-ndjson|jsonl|xml|yaml|x-yaml|toml|javascript|typescript|x-sh|x-shellscript|sql|x-python|csv|graphql|x-diff|x-patch|x-subrip)\b)/i;
const TEXT_EXTENSIONS = new Set(
  'txt text md markdown rst adoc org csv tsv json jsonl ndjson yaml yml toml ini cfg conf env properties log out err xml html htm css scss sass less js mjs cjs jsx ts mts cts tsx py pyi ipynb rb go rs java kt kts scala swift c h cc cpp cxx hpp cs fs php pl lua r jl dart ex exs erl hrl hs ml clj sql sh bash zsh fish ps1 bat cmd tf hcl nix proto graphql gql diff patch vue svelte tex bib srt vtt gradle cmake mk lock'.split(' '),
);
const TEXT_NAMES = new Set(['dockerfile', 'makefile', 'procfile', 'gemfile', 'rakefile', 'jenkinsfile', 'vagrantfile', 'license', 'readme']);
const AUDIO_EXTENSIONS = new Set(['ogg', 'oga', 'opus', 'mp3', 'mpga', 'mpeg', 'm4a', 'wav', 'webm', 'flac', 'aac']);
/** The formats vision endpoints accept. */
const IMAGE_TYPES: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp' };

/** What kind of content a file holds, from its MIME type or else its name; undefined for what Cairn cannot read. */
export function kindOf(file: Pick<InboundFile, 'fileName' | 'contentType'>): FileKind | undefined {
  const type = file.contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  const extension = extname(file.fileName).slice(1).toLowerCase();
  if (type.startsWith('audio/')) return 'audio';
  if (type.startsWith('image/')) return imageType(file) ? 'image' : undefined;
  if (TEXT_TYPE.test(type)) return 'text';
  // Platforms often send application/octet-stream (or nothing) for code and logs.
  if (type === '' || type === 'application/octet-stream') {
    if (AUDIO_EXTENSIONS.has(extension)) return 'audio';
    if (extension in IMAGE_TYPES) return 'image';
    if (TEXT_EXTENSIONS.has(extension) || (extension === '' && TEXT_NAMES.has(file.fileName.toLowerCase()))) return 'text';
  }
  return undefined;
}

function imageType(file: Pick<InboundFile, 'fileName' | 'contentType'>): string | undefined {
  const type = file.contentType?.split(';')[0]?.trim().toLowerCase();
  if (type && Object.values(IMAGE_TYPES).includes(type)) return type;
  return IMAGE_TYPES[extname(file.fileName).slice(1).toLowerCase()];
}

export class FileReader {
  constructor(private readonly options: FileReaderOptions) {}

  /** Whether any of the message's files will be read (then an empty caption is fine). */
  canRead(message: InboundMessage): boolean {
    return (message.files ?? []).some((file) => this.reads(file));
  }

  /**
   * The message with what was read of its files in its text, after the caption; read
   * files leave the attachments. Returns what to tell the user when a file cannot be
   * read or the whole comes out too long, and then nothing reaches the model.
   */
  async read(message: InboundMessage, signal: AbortSignal): Promise<InboundMessage | string> {
    const files = (message.files ?? []).filter((file) => this.reads(file));
    if (files.length === 0) return message;
    const caption = message.text.trim();
    const parts: string[] = caption ? [caption] : [];
    for (const file of files) {
      try {
        parts.push(await this.readOne(file, caption, signal));
      } catch (error) {
        if (signal.aborted) throw error;
        this.options.logger.warn({ platform: message.platform, messageId: message.messageId, file: file.fileName, err: describeError(error) }, 'attachment not read');
        return couldNotRead(file, error);
      }
    }
    const text = parts.join('\n\n');
    const limit = this.options.maxInputChars;
    if (text.length > limit) {
      return `Your message is ${text.length.toLocaleString('en-US')} characters long with ${listed(files.map((file) => yours(file.label)))} in text; the limit is ${limit.toLocaleString('en-US')}. Send less at once, or split it.`;
    }
    const unread = [...(message.attachments ?? [])];
    for (const file of files) {
      const index = unread.indexOf(file.label);
      if (index >= 0) unread.splice(index, 1);
    }
    return { ...message, text, attachments: unread.length > 0 ? unread : undefined, files: undefined };
  }

  /** What is read besides messages, for the answer to a message Cairn cannot read at all. */
  readable(): string[] {
    return ['text files', ...(this.options.transcriber ? ['voice messages'] : []), ...(this.options.describer ? ['images'] : [])];
  }

  private reads(file: InboundFile): boolean {
    const kind = kindOf(file);
    return kind === 'text' || (kind === 'audio' && this.options.transcriber !== undefined) || (kind === 'image' && this.options.describer !== undefined);
  }

  private async readOne(file: InboundFile, caption: string, signal: AbortSignal): Promise<string> {
    const name = withoutArticle(file.label);
    const kind = kindOf(file);
    if (kind === 'audio' && this.options.transcriber) {
      return `[${name}, transcribed] ${await this.options.transcriber.transcribe(await file.load(signal), file.fileName, signal)}`;
    }
    if (kind === 'image' && this.options.describer) {
      if ((file.size ?? 0) > MAX_IMAGE_BYTES) throw new CairnError('invalid_input', `it is over ${MAX_IMAGE_BYTES / 1024 / 1024} MB, more than vision models take`);
      const description = await this.options.describer.describe(await file.load(signal), imageType(file) ?? 'image/jpeg', caption, signal);
      return `[${name}, described by a vision model] ${description}`;
    }
    // UTF-8 takes at most 4 bytes a character: a bigger file cannot fit, so it is not downloaded.
    const limit = this.options.maxInputChars;
    if ((file.size ?? 0) > limit * 4) throw new CairnError('invalid_input', `it is ${(file.size ?? 0).toLocaleString('en-US')} bytes, more than the ${limit.toLocaleString('en-US')} characters I read at once`);
    return `[${name}]\n${decodeText(await file.load(signal))}\n[end of ${name}]`;
  }
}

function decodeText(bytes: Uint8Array): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new CairnError('invalid_input', 'it is not UTF-8 text');
  }
  if (text.includes('\0')) throw new CairnError('invalid_input', 'it is a binary file, not text');
  return text.replace(/^\uFEFF/, '').trimEnd();
}

function couldNotRead(file: InboundFile, error: unknown): string {
  const why = describeError(error).replace(/\.$/, '');
  const kind = kindOf(file);
  if (kind === 'audio') return `I couldn't make out ${yours(file.label)}: ${why}. Please send it as text.`;
  if (kind === 'image') return `I couldn't look at ${yours(file.label)}: ${why}. Tell me in words what it shows.`;
  return `I couldn't read ${yours(file.label)}: ${why}. Paste the part that matters as text.`;
}

/** `a voice message` → `voice message`. */
function withoutArticle(label: string): string {
  return label.replace(/^(a|an) /, '');
}

/** `a voice message` → `your voice message`. */
function yours(label: string): string {
  return `your ${withoutArticle(label)}`;
}
