/**
 * What an MCP tool returned, as the model reads it: text. Text blocks as they are; structured content as
 * JSON when no text says it (the spec asks servers to send both); images as Cairn's tools treat images, kept
 * as an attachment of the conversation that `look_at_image` asks the vision model about (the chat model
 * never reads image bytes), or named when Cairn has no vision model; audio and binary resources named.
 * The registry then cuts it to its limit, and the caller masks secrets.
 */
import { NOTHING_RETURNED, resultText } from '../custom/wrap.js';

/** Keeps an image a tool returned in the conversation for look_at_image; absent without a vision model or kept files. */
export type ImageKeeper = (name: string, bytes: Uint8Array, mimeType: string) => number;

/** The parts of a CallToolResult read here (the SDK's type, loosely: a server may send what a newer spec adds). */
export interface McpCallResult {
  content?: unknown;
  structuredContent?: unknown;
  isError?: boolean;
  /** Servers of protocol 2024-10-07 and before. */
  toolResult?: unknown;
}

/** Largest image kept (a screenshot of a whole page is a few MB). */
const MAX_IMAGE_BYTES = 20 * 1024 * 1024;

export function resultForModel(result: McpCallResult, tool: string, keepImage: ImageKeeper | undefined): { text: string; isError: boolean } {
  const parts: string[] = [];
  const content = Array.isArray(result.content) ? (result.content as Record<string, unknown>[]) : [];
  let images = 0;
  for (const block of content) {
    if (block.type === 'text' && typeof block.text === 'string') parts.push(block.text);
    else if (block.type === 'image' && typeof block.data === 'string') parts.push(image(block.data, String(block.mimeType ?? 'image/png'), `${tool}-${++images}`, keepImage));
    else if (block.type === 'audio') parts.push(`[audio (${String(block.mimeType ?? 'audio')}, ${size(block.data)}): Cairn passes no audio a tool returns to the model]`);
    else if (block.type === 'resource' && typeof block.resource === 'object' && block.resource !== null) parts.push(resource(block.resource as Record<string, unknown>, `${tool}-${++images}`, keepImage));
    else if (block.type === 'resource_link') parts.push(`Link: ${String(block.name ?? block.title ?? 'resource')} ${String(block.uri ?? '')}${typeof block.description === 'string' ? ` (${block.description})` : ''}`);
    else parts.push(`[a ${String(block.type)} block, which Cairn does not read]`);
  }
  const said = content.some((block) => block.type === 'text');
  if (!said && result.structuredContent !== undefined) parts.push(resultText(result.structuredContent));
  if (parts.length === 0 && result.toolResult !== undefined) parts.push(resultText(result.toolResult));
  const text = parts.join('\n\n');
  return { text: text === '' ? (result.isError ? 'the tool failed and said nothing about why' : NOTHING_RETURNED) : text, isError: result.isError === true };
}

function image(data: string, mimeType: string, name: string, keepImage: ImageKeeper | undefined): string {
  const bytes = Buffer.from(data, 'base64');
  const what = `an image (${mimeType}, ${size(data)})`;
  if (!keepImage) return `[${what} the model cannot see here: Cairn shows images through its vision model (set CAIRN_VISION_MODEL, and keep files with CAIRN_KEEP_FILES_DAYS above 0)]`;
  if (bytes.length > MAX_IMAGE_BYTES) return `[${what}, too large to keep (over ${MAX_IMAGE_BYTES / 1024 / 1024} MB)]`;
  const id = keepImage(name, bytes, mimeType);
  return `[${what}, kept as attachment #${id}: call look_at_image with attachment ${id} and a question to see what it shows]`;
}

function resource(body: Record<string, unknown>, name: string, keepImage: ImageKeeper | undefined): string {
  const uri = String(body.uri ?? '');
  const mimeType = typeof body.mimeType === 'string' ? body.mimeType : undefined;
  if (typeof body.text === 'string') return `Resource ${uri}${mimeType ? ` (${mimeType})` : ''}:\n${body.text}`;
  if (typeof body.blob === 'string' && mimeType?.startsWith('image/')) return `Resource ${uri}: ${image(body.blob, mimeType, name, keepImage)}`;
  return `[resource ${uri} (${mimeType ?? 'binary'}, ${size(body.blob)}): binary, not shown to the model]`;
}

/** The decoded size of base64 data, in words. */
function size(data: unknown): string {
  const bytes = typeof data === 'string' ? Math.floor((data.replace(/=+$/, '').length * 3) / 4) : 0;
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : bytes >= 1024 ? `${Math.round(bytes / 1024)} KB` : `${bytes} bytes`;
}
