/**
 * What Cairn can read of the files a message carries, turned into text in the message:
 * text files (logs, code, CSV, JSON…) as they are, in the encoding they are in
 * (text-decoding.ts), or their start and end when too long;
 * PDFs by their text layer, a scan through the vision model; Office files (Word, Excel,
 * PowerPoint, OpenDocument) by their text (both read in child processes, see
 * documents/); voice messages and audio through the transcription model (a long transcript,
 * a dictation or a recorded meeting, as a document's text); images through the vision model.
 * Each part is marked with what it came from, and with the number the file is kept under for
 * the attachment tools (kept-files.ts). What cannot be read stays
 * among the attachments, named to the model as out of its sight. Reading runs before the
 * turn, so the session keeps the words and later turns and note extraction see them too.
 */
import { extname } from 'node:path';
import type { InboundFile, InboundMessage } from './message.js';
import type { Logger } from './logger.js';
import { CairnError, describeError, isCairnError, type CairnErrorCode } from './errors.js';
import type { Transcriber } from '../model/transcribe.js';
import type { ImageDescriber } from '../model/vision.js';
import { listed } from './attachments.js';
import { headOf, tailOf } from './text.js';
import { decodeText } from './text-decoding.js';
import { officeFormat } from './documents/office-text.js';
import { documentPool, type Documents } from './documents/pool.js';
import { scannedPageMark } from './documents/pdf-text.js';
import type { KeptFiles } from './kept-files.js';
import { estimateTokens } from '../memory/tokens.js';

export type FileKind = 'text' | 'pdf' | 'office' | 'audio' | 'image';

export interface FileReaderOptions {
  maxInputChars: number;
  logger: Logger;
  /** Turns voice messages into text; without one they stay unread. */
  transcriber?: Transcriber | undefined;
  /** Describes images; without one they stay unread. */
  describer?: ImageDescriber | undefined;
  /** Reads PDFs and Office files; by default in child processes (documents/pool.ts). */
  documents?: Documents | undefined;
  /** Keeps what was read for the agent to read on or look again (tools/attachment-tools.ts); without it nothing is kept. */
  keep?: KeptFiles | undefined;
}

/** The most a vision endpoint takes per image (OpenAI's limit). */
const MAX_IMAGE_BYTES = 20 * 1024 * 1024;
/** Pages of a scanned PDF sent to the vision model, one call each. */
const MAX_SCANNED_PAGES = 5;
/** The biggest text file, PDF or Office file downloaded (only its start and end may fit in the message). */
const MAX_TEXT_BYTES = 20 * 1024 * 1024;
/** The most a transcription endpoint takes (OpenAI's limit): a longer recording is not downloaded to be refused. */
const MAX_AUDIO_BYTES = 25 * 1024 * 1024;

/** text/*, the data and script types, any +json or +xml (application/geo+json, application/x-ipynb+json, application/atom+xml), and application/x-<language> as desktop MIME databases name source files. */
const TEXT_TYPE =
  /^(text\/|application\/(json|x-ndjson|jsonl|xml|yaml|x-yaml|toml|javascript|typescript|x-sh|x-shellscript|sql|x-python|csv|graphql|x-diff|x-patch|x-subrip|x-(httpd-)?php|x-ruby|x-perl|x-lua|x-tcl|x-awk|x-csh|x-tex|x-latex|x-javascript|x-typescript|x-powershell|x-java-source|x-kotlin|x-rust|x-go)\b|application\/[\w.-]+\+(json|xml)$)/i;
const TEXT_EXTENSIONS = new Set(
  'txt text md markdown rst adoc org csv tsv json jsonl ndjson geojson yaml yml toml ini cfg conf env properties log out err xml html htm css scss sass less js mjs cjs jsx ts mts cts tsx py pyi ipynb rb go rs java kt kts scala swift c h cc cpp cxx hpp cs fs php pl lua r jl dart ex exs erl hrl hs ml clj sql sh bash zsh fish ps1 bat cmd tf hcl nix proto graphql gql diff patch vue svelte tex bib srt vtt gradle cmake mk lock'.split(' '),
);
const TEXT_NAMES = new Set(['dockerfile', 'makefile', 'procfile', 'gemfile', 'rakefile', 'jenkinsfile', 'vagrantfile', 'license', 'readme']);
/** Dotfiles, named by what follows the dot (`.env` has no extension to Node). */
const TEXT_DOTFILES = new Set(['env', 'gitignore', 'gitattributes', 'gitconfig', 'dockerignore', 'npmrc', 'yarnrc', 'nvmrc', 'editorconfig', 'bashrc', 'bash_profile', 'zshrc', 'profile', 'vimrc', 'tmux.conf', 'prettierrc', 'eslintrc', 'babelrc', 'htaccess', 'pgpass', 'netrc']);
/** Image formats vision endpoints do not take, named so the user hears what to send instead. */
const OTHER_IMAGE_EXTENSIONS = new Set(['heic', 'heif', 'tif', 'tiff', 'bmp', 'avif', 'ico', 'psd']);
const AUDIO_EXTENSIONS = new Set(['ogg', 'oga', 'opus', 'mp3', 'mpga', 'mpeg', 'm4a', 'wav', 'webm', 'flac', 'aac']);
/** The formats vision endpoints accept. */
const IMAGE_TYPES: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp' };

/** What kind of content a file holds, from its MIME type or else its name; undefined for what Cairn cannot read. */
export function kindOf(file: Pick<InboundFile, 'fileName' | 'contentType'>): FileKind | undefined {
  const type = file.contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  const extension = extname(file.fileName).slice(1).toLowerCase();
  if (type === 'application/pdf' || ((type === '' || type === 'application/octet-stream') && extension === 'pdf')) return 'pdf';
  if (officeFormat(file)) return 'office';
  if (type.startsWith('audio/')) return 'audio';
  // SVG is XML text; other images go to the vision model, which names a format it does not take.
  if (type === 'image/svg+xml') return 'text';
  if (type.startsWith('image/')) return 'image';
  if (TEXT_TYPE.test(type)) return 'text';
  // A text file's name wins over any other type: desktop MIME databases take a TypeScript file (.ts) for an MPEG transport
  // stream (video/mp2t) and label code with types of their own. A real video so named is refused as binary when read.
  if (hasTextName(file.fileName)) return 'text';
  // Platforms often send application/octet-stream (or nothing) for voice notes and pictures too.
  if (type === '' || type === 'application/octet-stream') {
    if (AUDIO_EXTENSIONS.has(extension)) return 'audio';
    if (extension in IMAGE_TYPES || OTHER_IMAGE_EXTENSIONS.has(extension)) return 'image';
  }
  return undefined;
}

/** Whether a file's name says text: a code, data or log extension, or a name such as Dockerfile or .env. */
function hasTextName(fileName: string): boolean {
  const name = fileName.toLowerCase();
  const extension = extname(name).slice(1);
  return TEXT_EXTENSIONS.has(extension) || extension === 'svg' || (extension === '' && TEXT_NAMES.has(name)) || (name.startsWith('.') && TEXT_DOTFILES.has(name.slice(1)));
}

/** The file's MIME type when it is specific and does not say text: video/mp2t for a .ts file read by its name. */
function sentAsNonText(file: Pick<InboundFile, 'contentType'>): string | undefined {
  const type = file.contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  return type === '' || type === 'application/octet-stream' || TEXT_TYPE.test(type) ? undefined : type;
}

function imageType(file: Pick<InboundFile, 'fileName' | 'contentType'>): string | undefined {
  const type = file.contentType?.split(';')[0]?.trim().toLowerCase();
  if (type && Object.values(IMAGE_TYPES).includes(type)) return type;
  return IMAGE_TYPES[extname(file.fileName).slice(1).toLowerCase()];
}

export class FileReader {
  private readonly documents: Documents;

  constructor(private readonly options: FileReaderOptions) {
    this.documents = options.documents ?? documentPool;
  }

  /** Whether any of the message's files will be read (then an empty caption is fine). */
  canRead(message: InboundMessage): boolean {
    return (message.files ?? []).some((file) => this.reads(file));
  }

  /**
   * The message with what was read of its files in its text, after the caption; read
   * files leave the attachments. Returns what to tell the user when a file cannot be
   * read or the whole comes out too long, and then nothing reaches the model.
   * `tokenRoom`: what the text may take of the model's context; long files are cut to it too.
   */
  async read(message: InboundMessage, signal: AbortSignal, tokenRoom?: TokenRoom): Promise<InboundMessage | string> {
    const files = (message.files ?? []).filter((file) => this.reads(file));
    if (files.length === 0) return message;
    const caption = message.text.trim();
    const parts: Part[] = caption ? [{ content: caption }] : [];
    for (const file of files) {
      try {
        parts.push(await this.readOne(file, { caption, signal, userKey: message.userId }));
      } catch (error) {
        if (signal.aborted) throw error;
        this.options.logger.warn({ platform: message.platform, messageId: message.messageId, file: file.fileName, err: describeError(error) }, 'attachment not read');
        return couldNotRead(file, error);
      }
    }
    this.keep(parts, message);
    const limit = this.options.maxInputChars;
    const text = fit(parts, limit);
    if (text === undefined) {
      this.options.keep?.forget(parts.flatMap((part) => ('keptAs' in part && part.keptAs !== undefined ? [part.keptAs] : [])));
      const length = parts.reduce((sum, part) => sum + render(part).length + 2, -2);
      return `Your message is ${length.toLocaleString('en-US')} characters long with ${listed(files.map((file) => yours(file.label)))} in text; the limit is ${limit.toLocaleString('en-US')}. Send less at once, or split it.`;
    }
    const unread = [...(message.attachments ?? [])];
    for (const file of files) {
      const index = unread.indexOf(file.label);
      if (index >= 0) unread.splice(index, 1);
    }
    const read = { ...message, text, attachments: unread.length > 0 ? unread : undefined, files: undefined };
    if (!tokenRoom) return read;
    // When even the files' least excerpts do not fit (the typed words alone are too long), the turn refuses the message with its figures.
    return { ...read, text: fitTokens(parts, text, tokenRoom(read)) ?? text };
  }

  /** What is read besides messages, for the answer to a message Cairn cannot read at all. */
  readable(): string[] {
    return ['text files', 'PDFs', 'Office files (Word, Excel, PowerPoint, OpenDocument)', ...(this.options.transcriber ? ['voice messages'] : []), ...(this.options.describer ? ['images'] : [])];
  }

  /**
   * Why the message's recordings go unread where that is a model nobody set, said in the answer to a message of only
   * files: a person who talks to Cairn hears that it could listen, and who would set it, not only "tell me in words".
   */
  unsetFor(message: InboundMessage): string | undefined {
    if (this.options.transcriber || !(message.files ?? []).some((file) => kindOf(file) === 'audio')) return undefined;
    return 'listening to recordings needs a speech-to-text model, which whoever runs Cairn has not set (CAIRN_TRANSCRIBE_MODEL)';
  }

  private reads(file: InboundFile): boolean {
    const kind = kindOf(file);
    return kind === 'text' || kind === 'pdf' || kind === 'office' || (kind === 'audio' && this.options.transcriber !== undefined) || (kind === 'image' && this.options.describer !== undefined);
  }

  private async readOne(file: InboundFile, request: ReadRequest): Promise<Part> {
    const { caption, signal, userKey } = request;
    const name = withoutArticle(file.label);
    const kind = kindOf(file);
    if (kind === 'audio' && this.options.transcriber) {
      if ((file.size ?? 0) > MAX_AUDIO_BYTES) {
        // The whole advice: couldNotRead adds no "send it as text" after it (a recorded meeting is sent in parts).
        throw new CairnError('invalid_input', `it is ${megabytes(file.size ?? 0)}, over the ${megabytes(MAX_AUDIO_BYTES)} speech-to-text takes. Send it in shorter parts (each under ${megabytes(MAX_AUDIO_BYTES)}), or the part that matters as text`);
      }
      return transcriptPart(name, file.fileName, await this.options.transcriber.transcribe(await file.load(signal), file.fileName, { signal, userKey }));
    }
    if (kind === 'image' && this.options.describer) {
      const mimeType = imageType(file);
      if (!mimeType) throw new CairnError('invalid_input', `it is ${formatOf(file)}, which vision models do not take; send it as JPEG or PNG (a screenshot works)`);
      if ((file.size ?? 0) > MAX_IMAGE_BYTES) throw new CairnError('invalid_input', `it is over ${megabytes(MAX_IMAGE_BYTES)}, more than vision models take`);
      const image = { bytes: await file.load(signal), mimeType, fileName: file.fileName };
      return { name, description: await this.options.describer.describe(image.bytes, image.mimeType, caption, { signal, userKey }), image };
    }
    if ((file.size ?? 0) > MAX_TEXT_BYTES) throw new CairnError('invalid_input', `it is over ${megabytes(MAX_TEXT_BYTES)}, more than I read of a document`);
    if (kind === 'pdf') return { ...(await this.readPdf(await file.load(signal), request)), name, fileName: file.fileName };
    const format = officeFormat(file);
    if (format) {
      const { text, about } = await this.documents.officeText(await file.load(signal), format, signal);
      return { name, fileName: file.fileName, text, about };
    }
    const decoded = decodeText(await file.load(signal), sentAsNonText(file));
    return { name, fileName: file.fileName, text: decoded.text, ...(decoded.about ? { about: decoded.about } : {}) };
  }

  /** A PDF's text layer; a scan (no text layer) is read by the vision model, a page at a time, when there is one. */
  private async readPdf(bytes: Uint8Array, { caption, signal, userKey }: ReadRequest): Promise<{ text: string; about: string }> {
    const pdf = await this.documents.pdfText(bytes, signal);
    const pages = (count: number) => (count === 1 ? 'page' : `${count} pages`);
    const describer = this.options.describer;
    if (pdf.text !== '' && pdf.emptyPages && describer) {
      // Typed pages and scanned ones in one file (a signed page scanned back in): the scanned ones are described in their place.
      const scanned = pdf.emptyPages.slice(0, MAX_SCANNED_PAGES);
      const images = await this.documents.pdfPageImages(bytes, scanned, signal);
      let text = pdf.text;
      for (const [index, image] of images.entries()) {
        const page = scanned[index] as number;
        const description = await describer.describe(image, 'image/png', caption, { signal, userKey });
        // A function, not a string: `$$`, `$&` or `$'` in the description (a scanned shell script) would be replacement patterns.
        text = text.replace(scannedPageMark(page), () => `[page ${page}, a scan described by a vision model]\n${description}`);
      }
      return { text, about: `the text of its ${pages(pdf.pages)}, with scanned pages described` };
    }
    if (pdf.text !== '') return { text: pdf.text, about: `the text of its ${pages(pdf.pages)}` };
    if (!describer) throw new CairnError('invalid_input', 'it has no text layer (a scan?); send the pages as images, or the text');
    const images = await this.documents.pdfPageImages(bytes, MAX_SCANNED_PAGES, signal);
    const described: string[] = [];
    for (const [index, image] of images.entries()) {
      const description = await describer.describe(image, 'image/png', caption, { signal, userKey });
      described.push(images.length > 1 ? `[page ${index + 1}]\n${description}` : description);
    }
    if (pdf.pages > images.length) described.push(`[pages ${images.length + 1}-${pdf.pages} not read: a scan is read up to ${MAX_SCANNED_PAGES} pages]`);
    return { text: described.join('\n\n'), about: `a scan of ${pages(pdf.pages)}, described by a vision model` };
  }

  /** Keeps each document's whole text (before any shortening) and each image, numbering their parts. */
  private keep(parts: Part[], message: InboundMessage): void {
    const keep = this.options.keep;
    if (!keep) return;
    const owner = { conversationId: message.conversationId, userId: message.userId };
    for (const part of parts) {
      if ('text' in part) part.keptAs = keep.keepText(owner, part.fileName, part.text);
      else if ('image' in part) part.keptAs = keep.keepImage(owner, part.image.fileName, part.image.bytes, part.image.mimeType);
    }
  }
}

/**
 * The tokens the text of a message may take in the model's context, asked once its files are read:
 * the session it goes to may start with it.
 */
export type TokenRoom = (read: InboundMessage) => number;

/** What a file is read for: the caption it came with, the request's stop signal, and whose allowance model calls count against. */
interface ReadRequest {
  caption: string;
  signal: AbortSignal;
  userKey: string;
}

/**
 * A piece of the message: the caption or a short transcript; an image's description; or a
 * document's text or a long transcript (which may be shortened to fit). `keptAs`: the number it is kept under.
 */
type Part =
  | { content: string }
  | { name: string; description: string; image: { bytes: Uint8Array; mimeType: string; fileName: string }; keptAs?: number }
  | DocumentPart;

/** A text file's, PDF's or Office file's text, or a long recording's transcript. */
type DocumentPart = { name: string; fileName: string; text: string; about?: string; shortened?: { characters: number }; keptAs?: number };

function render(part: Part): string {
  if ('content' in part) return part.content;
  const kept = part.keptAs === undefined ? '' : `; attachment #${part.keptAs}`;
  if ('description' in part) return `[${part.name}, described by a vision model${kept}] ${part.description}`;
  const about = [part.about, part.shortened && `${part.shortened.characters.toLocaleString('en-US')} characters, shortened to its start and end`].filter(Boolean).join(', ');
  return `[${part.name}${about ? `, ${about}` : ''}${kept}]\n${part.text}\n[end of ${part.name}]`;
}

/**
 * Past this a transcript is a dictation or a recorded meeting more than a message (about four minutes of
 * English speech, fewer of Chinese): it is read as a document's text instead of as the person's words.
 */
const LONG_TRANSCRIPT_CHARS = 4_000;
const LONG_TRANSCRIPT_TOKENS = 1_000;
/**
 * Where a long transcript's lines break: after a sentence's end (and any closing quote), in place of the
 * spaces there, and after an ideographic full stop. Whisper returns a recording as one paragraph, which would be cut
 * mid-word when shortened and listed by `find` as one line.
 */
const SENTENCE_BREAK = /(?<=[.!?…]["'”’»)]*)[^\S\n]+(?=\S)|(?<=[。！？][」』”’）]*)(?=[^\s」』”’）])/gu;

/**
 * A short transcript reads as if the person had typed it. A long one is a document's text, a sentence a
 * line: kept and numbered, shortened to its start and end when the message or the context has no room
 * for it all (a voice note cannot be split as typed words can), and read on with read_attachment.
 */
function transcriptPart(name: string, fileName: string, transcript: string): Part {
  if (transcript.length <= LONG_TRANSCRIPT_CHARS && estimateTokens(transcript) <= LONG_TRANSCRIPT_TOKENS) return { content: `[${name}, transcribed] ${transcript}` };
  return { name, fileName, text: transcript.replace(SENTENCE_BREAK, '\n').split('\n').map(wrapped).join('\n'), about: 'transcribed' };
}

/** The longest line of a long transcript: `find` lists a line whole up to about this length. */
const MAX_TRANSCRIPT_LINE = 300;

/** A line of speech that runs on without a sentence's end, broken at spaces within MAX_TRANSCRIPT_LINE (one without spaces stays whole). */
function wrapped(line: string): string {
  let text = '';
  let from = 0;
  while (line.length - from > MAX_TRANSCRIPT_LINE) {
    const space = line.lastIndexOf(' ', from + MAX_TRANSCRIPT_LINE);
    if (space <= from) break;
    text += `${line.slice(from, space)}\n`;
    from = space + 1;
  }
  return text + line.slice(from);
}

/** The least of a long text file worth showing; below this the message is refused instead. */
const MIN_EXCERPT_CHARS = 2_000;

/**
 * The parts joined, within `limit` characters: text files too long to fit together are
 * cut to their start and end (errors and summaries are usually at the end of a log),
 * the shorter ones kept whole and the room left shared evenly among the longer ones.
 * Undefined when even that does not fit.
 */
function fit(parts: readonly Part[], limit: number): string | undefined {
  const whole = parts.map(render).join('\n\n');
  if (whole.length <= limit) return whole;
  const files = parts.filter((part): part is DocumentPart => 'text' in part).sort((a, b) => a.text.length - b.text.length);
  // Room for the files' contents: the limit less everything else, markers included.
  let room = limit - (whole.length - files.reduce((sum, file) => sum + file.text.length, 0)) - files.length * SHORTENED_OVERHEAD;
  if (room < files.length * MIN_EXCERPT_CHARS) return undefined;
  const fitted = new Map<Part, DocumentPart>();
  for (const [index, file] of files.entries()) {
    const share = Math.floor(room / (files.length - index));
    const part = file.text.length > share ? { ...file, text: excerpt(file.text, share, file.keptAs), shortened: { characters: file.text.length } } : file;
    fitted.set(file, part);
    room -= part.text.length;
  }
  const text = parts.map((part) => render(fitted.get(part) ?? part)).join('\n\n');
  return text.length <= limit ? text : undefined;
}

/** Character limits tried to bring the files within a token room, each scaled by how far the last one's text went over. */
const TOKEN_FIT_TRIES = 6;
/** Each limit aims this much below the room: a file's start and end may be denser in tokens than its whole. */
const TOKEN_FIT_MARGIN = 0.97;

/**
 * The parts joined within `maxTokens` as well as within the characters `fitted` (their text at the character
 * limit) took: the files cut to their start and end as the character limit cuts them. A file of Chinese text or
 * a log takes more tokens than its characters let on. Undefined when that does not fit.
 */
function fitTokens(parts: readonly Part[], fitted: string, maxTokens: number): string | undefined {
  let text: string | undefined = fitted;
  for (let tries = 0; tries < TOKEN_FIT_TRIES && text !== undefined; tries++) {
    const tokens = estimateTokens(text);
    if (tokens <= maxTokens) return text;
    text = fit(parts, Math.floor(((text.length * maxTokens) / tokens) * TOKEN_FIT_MARGIN));
  }
  return undefined;
}

/** What shortening adds to a file's part at most: the longer header and the gap's marker. */
const SHORTENED_OVERHEAD = 120;

/** The start (a third) and the end (two thirds) of `text` in at most `max` characters, cut at line breaks, with the gap marked (and where to read it when kept). */
function excerpt(text: string, max: number, keptAs: number | undefined): string {
  const room = Math.max(0, max - 110);
  let head = headOf(text, Math.floor(room / 3));
  let tail = tailOf(text, Math.ceil((room * 2) / 3));
  const headBreak = head.lastIndexOf('\n');
  if (headBreak > 0) head = head.slice(0, headBreak);
  const tailBreak = tail.indexOf('\n');
  if (tailBreak >= 0 && tailBreak < tail.length - 1) tail = tail.slice(tailBreak + 1);
  const gap = text.slice(head.length, text.length - tail.length);
  // The head ends before a line break and the tail starts after one: the gap holds whole lines between them.
  const lines = Math.max(0, gap.split('\n').length - 2);
  const readOn = keptAs === undefined ? '' : `; read_attachment #${keptAs} reads them`;
  return `${head}\n[… ${gap.length.toLocaleString('en-US')} characters${lines > 0 ? ` (${lines.toLocaleString('en-US')} lines)` : ''} left out${readOn} …]\n${tail}`;
}

/** `25 MB`, `28.6 MB`. */
function megabytes(bytes: number): string {
  return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;
}

/** `a HEIC image` (from the name, else the type). */
function formatOf(file: Pick<InboundFile, 'fileName' | 'contentType'>): string {
  const format = extname(file.fileName).slice(1) || file.contentType?.split(';')[0]?.split('/')[1] || 'this';
  return `${/^[aeiou]/i.test(format) ? 'an' : 'a'} ${format.toUpperCase()} image`;
}

/** Failures of an endpoint that are over in a while. */
const TRANSIENT = new Set<CairnErrorCode>(['timeout', 'unavailable', 'network', 'rate_limit']);

function couldNotRead(file: InboundFile, error: unknown): string {
  const why = describeError(error).replace(/\.$/, '');
  const kind = kindOf(file);
  // Cairn's own key refused: the provider's words quote the key's ends, and only the operator can mend it.
  if (isCairnError(error) && error.code === 'auth' && (kind === 'audio' || kind === 'image')) {
    const by = kind === 'audio' ? `make out ${yours(file.label)}: the speech-to-text provider` : `look at ${yours(file.label)}: the image model's provider`;
    return `I couldn't ${by} refused my API key. The operator needs to set a new one (\`cairn doctor\` says which); after that, reply to it (or send it again) and I'll try once more.`;
  }
  if (kind === 'audio') {
    // An endpoint that is down or slow is no fault of the recording, which stays where it was sent: replying to it
    // has it read again (a reply brings the replied message's files; on Slack, sending it again does).
    if (isCairnError(error) && error.isRetryable && TRANSIENT.has(error.code)) {
      return `I couldn't make out ${yours(file.label)}: speech-to-text is not answering right now (${why}). Your recording is still in the chat: in a few minutes, reply to it (or send it again) and I'll try once more.`;
    }
    // Cairn's own refusals (too big) carry their advice.
    if (isCairnError(error) && error.code === 'invalid_input') return `I couldn't make out ${yours(file.label)}: ${why}.`;
    return `I couldn't make out ${yours(file.label)}: ${why}. Please send it as text.`;
  }
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
