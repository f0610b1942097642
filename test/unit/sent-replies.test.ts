/** The replies an adapter sent, kept in the database: found after a restart, the newest few thousand a platform. */
import { describe, expect, it } from 'vitest';
import { DatabaseSentReplies, SentReplies, reactionMessageId } from '../../src/core/sent-replies.js';
import { openDatabase } from '../../src/store/db.js';

describe('replies kept in the database', () => {
  it('are found by a new process (a restart), by platform', () => {
    const db = openDatabase(':memory:');
    new SentReplies(10, new DatabaseSentReplies(db, 'slack')).remember('D1:1.5', 'slack:T1:D1', 'm-1');
    const restarted = new SentReplies(10, new DatabaseSentReplies(db, 'slack'));
    expect(restarted.get('D1:1.5')).toEqual({ conversationId: 'slack:T1:D1', answered: 'm-1' });
    expect(new SentReplies(10, new DatabaseSentReplies(db, 'discord')).get('D1:1.5')).toBeUndefined();
    db.close();
  });

  it('keep the newest `limit` of a platform, and no thanks for a reaction', () => {
    const db = openDatabase(':memory:');
    const replies = new SentReplies(10, new DatabaseSentReplies(db, 'telegram', 150));
    for (let i = 0; i < 400; i++) replies.remember(`5:${i}`, 'telegram:dm:5', `m-${i}`);
    replies.remember('5:thanks', 'telegram:dm:5', reactionMessageId('5', 399, 'like'));
    const store = new DatabaseSentReplies(db, 'telegram', 150);
    const kept = db.prepare("SELECT COUNT(*) FROM sent_replies WHERE platform = 'telegram'").pluck().get() as number;
    expect(kept).toBeGreaterThanOrEqual(150);
    expect(kept).toBeLessThan(250);
    expect(store.get('5:0')).toBeUndefined();
    expect(store.get('5:399')).toEqual({ conversationId: 'telegram:dm:5', answered: 'm-399' });
    expect(store.get('5:thanks')).toBeUndefined();
    db.close();
  });

  it('are still remembered in memory when the database has closed (a last send at shutdown)', () => {
    const db = openDatabase(':memory:');
    const replies = new SentReplies(10, new DatabaseSentReplies(db, 'slack'));
    db.close();
    replies.remember('D1:2.5', 'slack:T1:D1', 'm-2');
    expect(replies.get('D1:2.5')).toEqual({ conversationId: 'slack:T1:D1', answered: 'm-2' });
    expect(replies.get('D1:9.9')).toBeUndefined();
  });
});
