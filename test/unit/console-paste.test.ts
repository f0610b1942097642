/** Lines pasted at the console's prompt: which become one message, and which go one by one. */
import { describe, expect, it } from 'vitest';
import { messagesOf } from '../../adapters/console/paste.js';

const registered = new Set(['new', 'status', 'help']);
const isCommand = (name: string) => registered.has(name);

describe('messagesOf', () => {
  it('makes a question with a stack trace one message, though lines of it start with "/"', () => {
    const lines = ['why does this crash?', '/home/ada/app.js:3', '  x.y();', '    ^', "TypeError: Cannot read properties of undefined (reading 'y')"];
    expect(messagesOf(lines, isCommand)).toEqual([lines.join('\n')]);
  });

  it('keeps lines together when one only looks like a command (/tmp is not one)', () => {
    expect(messagesOf(['/tmp is full', '/new'], isCommand)).toEqual(['/tmp is full\n/new']);
  });

  it('sends pasted commands one by one when every line is a command', () => {
    expect(messagesOf(['/new', '', '/status'], isCommand)).toEqual(['/new', '/status']);
  });

  it('drops leading blank lines and trailing whitespace, and makes nothing of blank lines', () => {
    expect(messagesOf(['', 'hello', 'world  ', ''], isCommand)).toEqual(['hello\nworld']);
    expect(messagesOf(['', '  '], isCommand)).toEqual([]);
  });
});
