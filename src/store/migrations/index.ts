/**
 * Numbered migrations, applied in order, each in its own transaction. Append new
 * ones; never edit one that has shipped (databases in the field already ran it).
 */
import { sql as sessions } from './001-sessions.js';
import { sql as notes } from './002-notes.js';
import { sql as skills } from './003-skills.js';
import { sql as backends } from './004-backends.js';
import { sql as access } from './005-access.js';
import { sql as learning } from './006-learning.js';
import { sql as usage } from './007-usage.js';
import { sql as schedules } from './008-schedules.js';
import { sql as attachments } from './009-attachments.js';
import { sql as conversationModels } from './010-conversation-models.js';
import { sql as instanceLease } from './011-instance-lease.js';
import { sql as taskMessages } from './012-task-messages.js';
import { backfill as wideCharBackfill, sql as wideCharSearch } from './013-wide-char-search.js';
import { sql as usageCarried } from './014-usage-carried.js';
import { backfill as searchFoldBackfill, sql as searchFold } from './015-search-fold.js';
import { sql as proposalBase } from './016-proposal-base.js';
import { sql as approvalContext } from './017-approval-context.js';
import { sql as usageCarriedCalls } from './018-usage-carried-calls.js';
import { sql as sentReplies } from './019-sent-replies.js';
import { backfill as scriptMarksBackfill, sql as scriptMarksSearch } from './020-script-marks-search.js';
import { sql as modelSwitcherName } from './021-model-switcher-name.js';
import { sql as auditTaskMarks } from './022-audit-task-marks.js';
import { sql as extractionClaimsAndWords } from './023-extraction-claims-and-words.js';
import { sql as messageReasoning } from './024-message-reasoning.js';
import { backfill as searchFoldStrokesBackfill, sql as searchFoldStrokes } from './025-search-fold-strokes.js';
import { sql as auditHolder } from './026-audit-holder.js';
import { sql as adminPostsWaiting } from './027-admin-posts-waiting.js';
import { sql as schedulePaused } from './028-schedule-paused.js';
import { sql as approvalsAskedElsewhere } from './029-approvals-asked-elsewhere.js';
import { sql as sessionDirect } from './030-session-direct.js';
import { sql as taskTallies } from './031-task-tallies.js';
import { backfill as searchFoldArabicGermanBackfill, sql as searchFoldArabicGerman } from './032-search-fold-arabic-german.js';
import { sql as proposalRejections } from './033-proposal-rejections.js';
import { sql as historyRetention } from './034-history-retention.js';
import { sql as taskTalliesModel } from './035-task-tallies-model.js';
import { sql as turnsInProgress } from './036-turns-in-progress.js';
import { sql as messageSources } from './037-message-sources.js';
import { sql as schedulePausedWhy } from './038-schedule-paused-why.js';
import { sql as personTimeZones } from './039-person-time-zones.js';
import { sql as accountLanguages } from './040-account-languages.js';
import { sql as skillVersionPruning } from './041-skill-version-pruning.js';
import { sql as attachmentsAdminsOnly } from './042-attachments-admins-only.js';
import type { Db } from '../db.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** Data the SQL cannot compute, filled in by code in the same transaction. */
  backfill?: (db: Db) => void;
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'sessions', sql: sessions },
  { version: 2, name: 'notes', sql: notes },
  { version: 3, name: 'skills', sql: skills },
  { version: 4, name: 'backends', sql: backends },
  { version: 5, name: 'access', sql: access },
  { version: 6, name: 'learning', sql: learning },
  { version: 7, name: 'usage', sql: usage },
  { version: 8, name: 'schedules', sql: schedules },
  { version: 9, name: 'attachments', sql: attachments },
  { version: 10, name: 'conversation-models', sql: conversationModels },
  { version: 11, name: 'instance-lease', sql: instanceLease },
  { version: 12, name: 'task-messages', sql: taskMessages },
  { version: 13, name: 'wide-char-search', sql: wideCharSearch, backfill: wideCharBackfill },
  { version: 14, name: 'usage-carried', sql: usageCarried },
  { version: 15, name: 'search-fold', sql: searchFold, backfill: searchFoldBackfill },
  { version: 16, name: 'proposal-base', sql: proposalBase },
  { version: 17, name: 'approval-context', sql: approvalContext },
  { version: 18, name: 'usage-carried-calls', sql: usageCarriedCalls },
  { version: 19, name: 'sent-replies', sql: sentReplies },
  { version: 20, name: 'script-marks-search', sql: scriptMarksSearch, backfill: scriptMarksBackfill },
  { version: 21, name: 'model-switcher-name', sql: modelSwitcherName },
  { version: 22, name: 'audit-task-marks', sql: auditTaskMarks },
  { version: 23, name: 'extraction-claims-and-words', sql: extractionClaimsAndWords },
  { version: 24, name: 'message-reasoning', sql: messageReasoning },
  { version: 25, name: 'search-fold-strokes', sql: searchFoldStrokes, backfill: searchFoldStrokesBackfill },
  { version: 26, name: 'audit-holder', sql: auditHolder },
  { version: 27, name: 'admin-posts-waiting', sql: adminPostsWaiting },
  { version: 28, name: 'schedule-paused', sql: schedulePaused },
  { version: 29, name: 'approvals-asked-elsewhere', sql: approvalsAskedElsewhere },
  { version: 30, name: 'session-direct', sql: sessionDirect },
  { version: 31, name: 'task-tallies', sql: taskTallies },
  { version: 32, name: 'search-fold-arabic-german', sql: searchFoldArabicGerman, backfill: searchFoldArabicGermanBackfill },
  { version: 33, name: 'proposal-rejections', sql: proposalRejections },
  { version: 34, name: 'history-retention', sql: historyRetention },
  { version: 35, name: 'task-tallies-model', sql: taskTalliesModel },
  { version: 36, name: 'turns-in-progress', sql: turnsInProgress },
  { version: 37, name: 'message-sources', sql: messageSources },
  { version: 38, name: 'schedule-paused-why', sql: schedulePausedWhy },
  { version: 39, name: 'person-time-zones', sql: personTimeZones },
  { version: 40, name: 'account-languages', sql: accountLanguages },
  { version: 41, name: 'skill-version-pruning', sql: skillVersionPruning },
  { version: 42, name: 'attachments-admins-only', sql: attachmentsAdminsOnly },
];
