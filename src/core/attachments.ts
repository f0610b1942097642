/**
 * Photos, voice messages and files: the adapters name a message's other parts in words.
 * What Cairn does not read of them (see file-reader.ts) the model is told is there but
 * out of its sight, so it says so instead of answering as if it had seen it.
 */

/** `an image (diagram.png)`, `an audio file (memo.m4a)`, `a file (report.pdf)`. */
export function describeFile(name: string | undefined, contentType: string | undefined): string {
  const kind = contentType?.startsWith('image/') ? 'an image' : contentType?.startsWith('audio/') ? 'an audio file' : contentType?.startsWith('video/') ? 'a video' : 'a file';
  return name ? `${kind} (${name})` : kind;
}

/** How a file of the message replied to is named (`a file (report.pdf) in the message replied to`). */
export function ofRepliedMessage(label: string): string {
  return `${label} in the message replied to`;
}

/** Appended to the user's text for the model. */
export function withAttachmentNote(text: string, attachments: readonly string[] | undefined): string {
  if (!attachments || attachments.length === 0) return text;
  return `${text}\n\n[The message also carried ${listed(attachments)}, which you cannot see or open. If the request depends on it, say so and ask for the content as text.]`;
}

/**
 * The answer to a message that had nothing but attachments, none of which Cairn reads; `readable` is what it does read.
 * `unset`: why, where it is a model the operator has not set (`listening to recordings needs …`), so a person who
 * talks to Cairn hears it could listen once that is set, and whom to ask, instead of only "tell me in words".
 */
export function attachmentsOnlyReply(attachments: readonly string[], readable: readonly string[], unset?: string): string {
  return `I can't open ${listed(attachments)}${unset ? `: ${unset}` : ''}. I read ${listed(['messages', ...readable])}: tell me in words what you need, or paste the text.`;
}

/**
 * The extension transcription endpoints know a recording of this MIME type by (OpenAI tells the format by the
 * name's extension and refuses others): for recordings the platform sends without a name that says it.
 */
export function audioExtensionOf(mimeType: string | undefined): string | undefined {
  const type = mimeType?.split(';')[0]?.trim().toLowerCase() ?? '';
  return AUDIO_EXTENSIONS[type];
}

/** Whether a file's name ends in an extension speech-to-text endpoints know a recording's format by. */
export function hasAudioExtension(name: string | undefined): boolean {
  const dot = name?.lastIndexOf('.') ?? -1;
  return dot > 0 && AUDIO_NAME_EXTENSIONS.has((name as string).slice(dot + 1).toLowerCase());
}

const AUDIO_NAME_EXTENSIONS = new Set(['ogg', 'oga', 'opus', 'mp3', 'mpga', 'mpeg', 'm4a', 'mp4', 'wav', 'webm', 'flac', 'aac']);

const AUDIO_EXTENSIONS: Record<string, string> = {
  'audio/ogg': 'ogg',
  'audio/opus': 'ogg',
  'audio/mpeg': 'mp3',
  'audio/mp3': 'mp3',
  'audio/mp4': 'm4a',
  'audio/m4a': 'm4a',
  'audio/x-m4a': 'm4a',
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'audio/flac': 'flac',
  'audio/x-flac': 'flac',
  'audio/webm': 'webm',
};

/** `a, b and c`; the same thing more than once is counted (`3 photos`, from an album). */
export function listed(items: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  const words = [...counts].map(([item, count]) => (count === 1 ? item : counted(item, count)));
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

/** `a photo` × 3 → `3 photos`; `your voice message` × 2 → `your 2 voice messages`. */
function counted(item: string, count: number): string {
  const parts = /^(an?|your) ([a-z]+(?: [a-z]+)*?)((?: \(.*\))?(?: in the message replied to)?)$/.exec(item);
  if (!parts) return `${item} (${count} times)`;
  const [, article, noun, rest] = parts;
  return `${article === 'your' ? 'your ' : ''}${count} ${noun}s${rest}`;
}
