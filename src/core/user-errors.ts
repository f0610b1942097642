/** The short, safe sentence a user sees when a turn fails: what happened and what to do. */
import { isCairnError, sqliteCodeOf } from './errors.js';
import { fallbackFailure } from '../model/chain-failure.js';

export function userFacingError(error: unknown): string {
  const storage = storageTrouble(error);
  if (storage) return storage;
  if (!isCairnError(error)) return 'Something went wrong on my side. Please try again; if it keeps happening, tell the operator to check the logs.';
  switch (error.code) {
    case 'rate_limit': {
      // The provider's own Retry-After, when it asked for longer: "in a minute" sent people back ten times into a 10-minute wait.
      const minutes = error.retryAfterMs !== undefined && error.retryAfterMs > 90_000 ? Math.round(error.retryAfterMs / 60_000) : undefined;
      return `The model provider is rate-limiting me right now. Please try again in ${minutes === undefined ? 'a minute' : `about ${minutes} minutes`}.`;
    }
    case 'auth':
    case 'permission':
      return "I can't reach my model: the provider refused the API key. The operator should run `cairn doctor`.";
    case 'quota': {
      // A fallback that was tried and failed too: "set a fallback provider" sent the operator to one already set.
      const fallback = fallbackFailure(error);
      if (fallback === 'passing') return 'My model provider account has run out of credit or quota. The operator needs to top it up; my fallback provider is failing too right now, so please try again later.';
      if (fallback === 'lasting') return "My model provider account has run out of credit or quota. The operator needs to top it up; my fallback provider can't answer either, and trying again won't help until the operator acts.";
      return "My model provider account has run out of credit or quota. The operator needs to top it up (or set a fallback provider); trying again won't help until then.";
    }
    case 'timeout':
      return "The model didn't answer in time. Please try again shortly.";
    case 'unavailable':
      return 'The model provider is having trouble right now. Please try again shortly.';
    case 'network':
      return "I can't reach my model right now. Please try again shortly; if it keeps happening, the operator should run `cairn doctor`.";
    case 'aborted':
      return 'I was stopped before I could finish (Cairn is restarting). Your message is saved; send it again in a moment.';
    case 'invalid_model_output':
      return "The model sent a reply I couldn't use. Please try again or rephrase.";
    case 'not_found':
      // A model the provider does not serve (a /model name it could not check, a typo in
      // CAIRN_MODEL) or a wrong address: every message fails alike, so "try again" never helps.
      return "The provider doesn't have the model this conversation uses (or my address for it is wrong). An admin can switch with /model <name> or /model default; the operator should run `cairn doctor`.";
    case 'bad_request':
      return 'The model rejected this request. Try /new to start a fresh conversation.';
    case 'config':
      return "I'm not fully configured yet. The operator should run `cairn doctor`.";
    case 'invalid_input':
      return error.message;
    default:
      return 'Something went wrong on my side. Please try again; if it keeps happening, tell the operator to check the logs.';
  }
}

/**
 * The note an answer gets when the model produced it but it could not be saved (a full disk, a read-only
 * database): it is sent all the same, since it was paid for, but the conversation will not hold it.
 */
export function unsavedAnswerNote(error: unknown): string | undefined {
  const code = sqliteCodeOf(error);
  if (code?.startsWith('SQLITE_FULL')) return "[I couldn't save this answer: the server's disk is full, so this conversation won't remember it. The operator needs to free some space.]";
  if (code?.startsWith('SQLITE_READONLY')) return "[I couldn't save this answer: my database can't be written to right now, so this conversation won't remember it. The operator should run `cairn doctor`.]";
  return undefined;
}

/**
 * SQLite refusing to write (better-sqlite3's SqliteError carries SQLite's code): a full disk or a
 * read-only database fails every message alike until the operator acts, so "try again" (what an
 * unknown failure gets) only had people resend into the same wall, and nobody said the disk.
 */
function storageTrouble(error: unknown): string | undefined {
  const code = sqliteCodeOf(error);
  if (code === undefined) return undefined;
  if (code.startsWith('SQLITE_FULL')) return "I couldn't save this conversation: the server's disk is full. The operator needs to free some space; send your message again after that.";
  if (code.startsWith('SQLITE_READONLY')) return "I couldn't save this conversation: my database can't be written to right now. The operator should run `cairn doctor`; send your message again after that.";
  return undefined;
}
