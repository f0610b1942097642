/**
 * Pages web_fetch has read, kept for a while so that a long page's later parts come from the reading
 * its first part came from. Read again for each part, a page that changes between two visits (a news
 * front page, a live log cut at the time limit, rotating banners) had its parts cut from different
 * texts: the model got words twice or never, and could not tell. Reading a 5 MB page again for each
 * part also took its download and up to 30 s of parsing every time.
 */
import type { PageText } from './page-text.js';

export interface ReadPage {
  /** Where the page was found, after redirects. */
  url: string;
  kind: 'html' | 'text' | 'pdf';
  read: PageText;
  truncated: boolean;
  cutAtTimeLimit: boolean;
}

interface Entry {
  page: ReadPage;
  keys: string[];
  at: number;
}

/** How long a reading serves later parts: a model reads on within a turn or two. */
const KEEP_MS = 30 * 60_000;
/** The most text kept in all (about 16 MB as JavaScript strings): the oldest readings go first. */
const MAX_CHARS = 8_000_000;

export class ReadPages {
  private readonly entries = new Map<string, Entry>();
  private chars = 0;

  /**
   * The reading of `url` in a conversation, still fresh. The conversation is part of the key: a
   * page read for one (with what its site answered then) is never another's.
   */
  get(conversationId: string, url: string, now: number): ReadPage | undefined {
    const entry = this.entries.get(key(conversationId, url));
    if (!entry) return undefined;
    if (now - entry.at > KEEP_MS || now < entry.at) {
      this.drop(entry);
      return undefined;
    }
    return entry.page;
  }

  /** Keeps a reading under the address asked for and the one it was found at (the model may ask for part 2 by either). */
  set(conversationId: string, asked: string, page: ReadPage, now: number): void {
    const keys = [...new Set([key(conversationId, asked), key(conversationId, page.url)])];
    for (const name of keys) {
      const old = this.entries.get(name);
      if (old) this.drop(old);
    }
    if (page.read.text.length > MAX_CHARS) return;
    const entry: Entry = { page, keys, at: now };
    for (const name of keys) this.entries.set(name, entry);
    this.chars += page.read.text.length;
    // Map order is insertion order: the first entry is the oldest reading.
    for (const oldest of this.entries.values()) {
      if (this.chars <= MAX_CHARS) break;
      this.drop(oldest);
    }
  }

  /** Forgets what is kept of `url` (a page now read whole in one part needs no later parts). */
  forget(conversationId: string, url: string): void {
    const entry = this.entries.get(key(conversationId, url));
    if (entry) this.drop(entry);
  }

  private drop(entry: Entry): void {
    if (!entry.keys.some((name) => this.entries.get(name) === entry)) return;
    for (const name of entry.keys) if (this.entries.get(name) === entry) this.entries.delete(name);
    this.chars -= entry.page.read.text.length;
  }
}

/** A fragment names a place in the page, not another page. */
function key(conversationId: string, url: string): string {
  let address = url;
  try {
    const parsed = new URL(url);
    parsed.hash = '';
    address = parsed.href;
  } catch {
    // Not an address: web_fetch refuses it before anything is kept.
  }
  return `${conversationId}\n${address}`;
}
