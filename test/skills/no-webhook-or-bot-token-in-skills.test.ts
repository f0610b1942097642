/**
 * A learned skill is shared with everyone Cairn talks to: a Slack or Discord webhook URL, a bot token in a
 * Bot API URL, or a GitLab/Hugging Face/npm key copied from the task it was learned from would work for
 * whoever reads it. The scan refused `sk-…` keys and GitHub tokens but let these through; placeholders
 * that explain a URL's form still pass.
 */
import { describe, expect, it } from 'vitest';
import { GOOD_BODY, useSkillsFixtures } from './helpers.js';

const fixture = useSkillsFixtures();
const create = (line: string) => () => fixture().skills.writer.checkCreate({ name: 'posting-alerts', description: 'How to post an alert to the team. Use when asked to alert.', body: `${GOOD_BODY}\n${line}\n` });

describe('a skill write', () => {
  it.each([
    ['slack webhook', "curl -X POST -d '{\"text\":\"done\"}' https://hooks.slack.com/services/T0ABCDEFG/B0HIJKLMN/Zq8xY2wV4uT6sR1pO3nM7kLj"],
    ['discord webhook', 'curl -H "Content-Type: application/json" -d @msg.json https://discord.com/api/webhooks/123456789012345678/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcdefghijklmnop'],
    ['telegram bot token', 'curl "https://api.telegram.org/bot1234567890:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ/sendMessage?chat_id=42&text=done"'],
    ['service token', 'huggingface-cli login --token hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789'],
  ])('is refused with a %s in it', (what, line) => {
    expect(create(line)).toThrow(new RegExp(`\\[secret\\] .*line \\d+ contains what looks like a ${what}; never store credentials in a skill`));
  });

  it.each([
    "Slack's form: https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
    'curl -d "text=done" "$SLACK_WEBHOOK_URL"',
    'curl "https://api.telegram.org/bot$TELEGRAM_BOT_TOKEN/sendMessage"',
  ])('passes with a placeholder: %s', (line) => {
    expect(create(line)).not.toThrow();
  });
});
