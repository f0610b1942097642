import { describe, expect, it } from 'vitest';
import { FileReader, kindOf } from '../../src/core/file-reader.js';
import { estimateTokens } from '../../src/memory/tokens.js';
import { CairnError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import type { InboundFile, InboundMessage } from '../../src/core/message.js';
import type { Transcriber } from '../../src/model/transcribe.js';
import type { ImageDescriber } from '../../src/model/vision.js';
import { makePdf } from '../helpers/pdf.js';
import { makeDocx, makePptx, makeXlsx } from '../helpers/office.js';
import { createCanvas, loadImage } from '@napi-rs/canvas';

function file(label: string, fileName: string, contentType: string | undefined, content: string | Uint8Array, size?: number): InboundFile & { loads: number } {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  const entry = {
    label,
    fileName,
    contentType,
    size: size ?? bytes.length,
    loads: 0,
    load: async () => {
      entry.loads++;
      return bytes;
    },
  };
  return entry;
}

function message(text: string, files: InboundFile[], extra: string[] = []): InboundMessage {
  return {
    platform: 'test',
    conversationId: 'test:1',
    userId: 'test:u',
    senderId: 'u',
    userName: 'u',
    text,
    attachments: [...files.map((f) => f.label), ...extra],
    files,
    isDirect: true,
    isSelf: false,
    messageId: 'm1',
    receivedAt: new Date(0),
  };
}

const transcriber: Transcriber = { model: 'whisper', transcribe: async (_audio, name) => `words from ${name}` };
const describer: ImageDescriber & { requests: string[] } = {
  model: 'vision',
  requests: [],
  async describe(image, mimeType, request) {
    describer.requests.push(`${mimeType} ${image.length} ${request}`);
    return 'a bar chart';
  },
};
const signal = new AbortController().signal;

describe('kindOf', () => {
  it('tells text, audio and images by MIME type, and by name when the type says nothing', () => {
    expect(kindOf({ fileName: 'app.log', contentType: 'text/plain; charset=utf-8' })).toBe('text');
    expect(kindOf({ fileName: 'data', contentType: 'application/json' })).toBe('text');
    expect(kindOf({ fileName: 'main.py', contentType: 'application/octet-stream' })).toBe('text');
    expect(kindOf({ fileName: 'Dockerfile', contentType: undefined })).toBe('text');
    expect(kindOf({ fileName: 'voice.ogg', contentType: 'audio/ogg' })).toBe('audio');
    expect(kindOf({ fileName: 'memo.m4a', contentType: undefined })).toBe('audio');
    expect(kindOf({ fileName: 'shot.png', contentType: 'image/png' })).toBe('image');
    expect(kindOf({ fileName: 'shot.webp', contentType: undefined })).toBe('image');
    // Images vision endpoints do not take are images still: the reader names the format to send instead.
    expect(kindOf({ fileName: 'scan.tiff', contentType: 'image/tiff' })).toBe('image');
    expect(kindOf({ fileName: 'IMG_0042.HEIC', contentType: undefined })).toBe('image');
    // SVG is XML text; dotfiles are text by what follows their dot.
    expect(kindOf({ fileName: 'logo.svg', contentType: 'image/svg+xml' })).toBe('text');
    for (const name of ['.env', '.gitignore', '.bashrc']) expect(kindOf({ fileName: name, contentType: undefined })).toBe('text');
    expect(kindOf({ fileName: '.DS_Store', contentType: undefined })).toBeUndefined();
    expect(kindOf({ fileName: 'q3.pdf', contentType: 'application/pdf' })).toBe('pdf');
    expect(kindOf({ fileName: 'q3.pdf', contentType: undefined })).toBe('pdf');
    expect(kindOf({ fileName: 'deck.pptx', contentType: 'application/vnd.openxmlformats-officedocument.presentationml.presentation' })).toBe('office');
    expect(kindOf({ fileName: 'budget.xlsx', contentType: 'application/octet-stream' })).toBe('office');
    // Windows labels CSV files as Excel files.
    expect(kindOf({ fileName: 'export.csv', contentType: 'application/vnd.ms-excel' })).toBe('text');
    expect(kindOf({ fileName: 'clip.mp4', contentType: 'video/mp4' })).toBeUndefined();
  });

  // Desktop MIME databases label code and data with types of their own, and take a TypeScript file for an MPEG transport stream.
  it.each([
    ['index.php', 'application/x-php'],
    ['deploy.rb', 'application/x-ruby'],
    ['report.pl', 'application/x-perl'],
    ['analysis.ipynb', 'application/x-ipynb+json'],
    ['map.geojson', 'application/geo+json'],
    ['feed', 'application/atom+xml'],
    ['index.ts', 'video/mp2t'],
    ['notes.md', 'application/x-unknown-content-type'],
  ])('reads %s (%s) as text, as its type or extension says', (fileName, contentType) => {
    expect(kindOf({ fileName, contentType })).toBe('text');
  });

  it('lets a type that says audio or an image win over a text extension', () => {
    expect(kindOf({ fileName: 'voice.txt', contentType: 'audio/ogg' })).toBe('audio');
    expect(kindOf({ fileName: 'chart.json', contentType: 'image/png' })).toBe('image');
  });
});

describe('FileReader', () => {
  it('puts a text file after the caption, marked with its name, and takes it off the attachments', async () => {
    const reader = new FileReader({ maxInputChars: 1_000, logger: silentLogger });
    const log = file('a file (app.log)', 'app.log', 'text/plain', '\uFEFFline 1\nline 2\n\n');
    const read = await reader.read(message('why does it crash?', [log], ['a video']), signal);
    expect(read).toMatchObject({ text: 'why does it crash?\n\n[file (app.log)]\nline 1\nline 2\n[end of file (app.log)]', attachments: ['a video'], files: undefined });
  });

  it('reads voice messages and images only with a model for them', async () => {
    const voice = file('a voice message', 'voice.ogg', 'audio/ogg', 'OggS');
    const photo = file('a photo', 'photo.jpg', 'image/jpeg', 'JPEG');
    const bare = new FileReader({ maxInputChars: 1_000, logger: silentLogger });
    expect(bare.canRead(message('', [voice, photo]))).toBe(false);
    expect(bare.readable()).toEqual(['text files', 'PDFs', 'Office files (Word, Excel, PowerPoint, OpenDocument)']);
    expect(await bare.read(message('hi', [voice, photo]), signal)).toMatchObject({ text: 'hi', attachments: ['a voice message', 'a photo'] });
    expect(voice.loads + photo.loads).toBe(0);

    const full = new FileReader({ maxInputChars: 1_000, logger: silentLogger, transcriber, describer });
    expect(full.readable()).toEqual(['text files', 'PDFs', 'Office files (Word, Excel, PowerPoint, OpenDocument)', 'voice messages', 'images']);
    const read = await full.read(message('', [voice, photo]), signal);
    expect(read).toMatchObject({ text: '[voice message, transcribed] words from voice.ogg\n\n[photo, described by a vision model] a bar chart', attachments: undefined });
    expect(describer.requests.at(-1)).toBe('image/jpeg 4 ');
  });

  it('gives the vision model the caption, and the image type from the name when the platform gave none', async () => {
    const reader = new FileReader({ maxInputChars: 1_000, logger: silentLogger, describer });
    await reader.read(message('what is wrong here?', [file('an image (shot.png)', 'shot.png', undefined, 'PNG')]), signal);
    expect(describer.requests.at(-1)).toBe('image/png 3 what is wrong here?');
  });

  it('tells a speaker whose recording met a down or slow endpoint to reply to it later, and what is missing without a transcriber', async () => {
    const failing = (error: CairnError) => new FileReader({ maxInputChars: 1_000, logger: silentLogger, transcriber: { model: 'w', transcribe: async () => Promise.reject(error) } });
    const voice = file('a voice message', 'voice.ogg', 'audio/ogg', 'OggS');
    const slow = failing(new CairnError('timeout', 'openai did not answer in time.', { isRetryable: true }));
    expect(await slow.read(message('', [voice]), signal)).toBe("I couldn't make out your voice message: speech-to-text is not answering right now (openai did not answer in time). Your recording is still in the chat: in a few minutes, reply to it (or send it again) and I'll try once more.");
    // Nothing heard in it is no outage.
    const silent = failing(new CairnError('invalid_model_output', 'openai heard no words in the recording.'));
    expect(await silent.read(message('', [voice]), signal)).toBe("I couldn't make out your voice message: openai heard no words in the recording. Please send it as text.");
    expect(new FileReader({ maxInputChars: 1_000, logger: silentLogger }).unsetFor(message('', [voice]))).toMatch(/needs a speech-to-text model, which whoever runs Cairn has not set \(CAIRN_TRANSCRIBE_MODEL\)$/);
    expect(slow.unsetFor(message('', [voice]))).toBeUndefined();
  });

  it('says why a file could not be read, and sends nothing on', async () => {
    const reader = new FileReader({ maxInputChars: 100, logger: silentLogger, transcriber: { model: 'w', transcribe: async () => Promise.reject(new CairnError('bad_request', 'openai answered 400 Audio file could not be decoded.')) } });
    const binary = file('a file (dump.log)', 'dump.log', 'text/plain', new Uint8Array([0x41, 0, 0x42]));
    expect(await reader.read(message('', [binary]), signal)).toBe("I couldn't read your file (dump.log): it is a binary file, not text. Paste the part that matters as text.");
    // Not UTF-8 but Windows-1252 (Excel's CSV on a Western European Windows): read, and said so.
    const latin1 = file('a file (old.csv)', 'old.csv', 'text/csv', new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x3b, 0x80]));
    expect(await reader.read(message('', [latin1]), signal)).toMatchObject({ text: '[file (old.csv), read as Windows-1252 text (it is not UTF-8)]\ncafé;€\n[end of file (old.csv)]' });
    // A real MPEG transport stream named .ts is read as text by its name, and refused as what it is.
    const packet = new Uint8Array(188).fill(0xff);
    packet.set([0x47, 0x40, 0x00, 0x10, 0x00, 0x00, 0xb0, 0x0d]);
    const video = file('a video (clip.ts)', 'clip.ts', 'video/mp2t', new Uint8Array([...packet, ...packet]));
    expect(await reader.read(message('', [video]), signal)).toBe("I couldn't read your video (clip.ts): it is a binary file (sent as video/mp2t), not text. Paste the part that matters as text.");
    const badUtf16 = file('a file (out.txt)', 'out.txt', 'text/plain', new Uint8Array([0xff, 0xfe, 0x41, 0x00, 0x00, 0xd8]));
    expect(await reader.read(message('', [badUtf16]), signal)).toBe("I couldn't read your file (out.txt): it is not UTF-16 text. Paste the part that matters as text.");
    const huge = file('a file (big.csv)', 'big.csv', 'text/csv', 'a,b', 21 * 1024 * 1024);
    expect(await reader.read(message('', [huge]), signal)).toBe("I couldn't read your file (big.csv): it is over 20 MB, more than I read of a document. Paste the part that matters as text.");
    expect(huge.loads).toBe(0);
    const locked = file('a file (report.pdf)', 'report.pdf', 'application/pdf', makePdf([['secret']], { passwordProtected: true }));
    expect(await reader.read(message('', [locked]), signal)).toBe("I couldn't read your file (report.pdf): it is password-protected; remove the password (or print it to a new PDF) and send it again. Paste the part that matters as text.");
    const voice = file('a voice message', 'voice.ogg', 'audio/ogg', 'OggS');
    expect(await reader.read(message('', [voice]), signal)).toBe("I couldn't make out your voice message: openai answered 400 Audio file could not be decoded. Please send it as text.");
    // A recording past what speech-to-text takes is not downloaded to be refused.
    const meeting = file('an audio file (all-hands.m4a)', 'all-hands.m4a', 'audio/mp4', 'x', 300 * 1024 * 1024);
    expect(await reader.read(message('', [meeting]), signal)).toBe("I couldn't make out your audio file (all-hands.m4a): it is 300 MB, over the 25 MB speech-to-text takes. Send it in shorter parts (each under 25 MB), or the part that matters as text.");
    expect(meeting.loads).toBe(0);
    // An image in a format vision models do not take says which, and what to send.
    const seeing = new FileReader({ maxInputChars: 100, logger: silentLogger, describer });
    const heic = file('an image (IMG_0042.HEIC)', 'IMG_0042.HEIC', 'image/heic', 'x');
    expect(await seeing.read(message('', [heic]), signal)).toBe("I couldn't look at your image (IMG_0042.HEIC): it is a HEIC image, which vision models do not take; send it as JPEG or PNG (a screenshot works). Tell me in words what it shows.");
    expect(heic.loads).toBe(0);
  });

  it('reads Word, Excel and PowerPoint files, and says what to send instead of an old binary one', async () => {
    const reader = new FileReader({ maxInputChars: 10_000, logger: silentLogger });
    const docx = file('a file (plan.docx)', 'plan.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', makeDocx(['Plan', 'Ship it.']));
    const xlsx = file('a file (budget.xlsx)', 'budget.xlsx', 'application/octet-stream', makeXlsx({ Costs: [['Item', 'EUR'], ['Servers', 1200]] }));
    expect(await reader.read(message('compare these', [docx, xlsx]), signal)).toMatchObject({
      text: 'compare these\n\n[file (plan.docx), its text]\nPlan\n\nShip it.\n[end of file (plan.docx)]\n\n[file (budget.xlsx), its sheet as CSV]\n[sheet "Costs"]\nItem,EUR\nServers,1200\n[end of file (budget.xlsx)]',
      attachments: undefined,
    });
    const deck = file('a file (deck.pptx)', 'deck.pptx', undefined, makePptx([{ lines: ['Roadmap'] }]));
    expect(await reader.read(message('', [deck]), signal)).toMatchObject({ text: '[file (deck.pptx), its slide]\n[slide 1]\nRoadmap\n[end of file (deck.pptx)]' });
    const old = file('a file (plan.doc)', 'plan.doc', 'application/msword', new Uint8Array([0xd0, 0xcf, 0x11, 0xe0]));
    expect(await reader.read(message('summarize', [old]), signal)).toBe(
      "I couldn't read your file (plan.doc): it is in the old binary Word document format (.doc), which I do not read; save it as .docx or PDF and send it again. Paste the part that matters as text.",
    );
  });

  it("reads a PDF's text layer, page by page, and a scan through the vision model", async () => {
    const reader = new FileReader({ maxInputChars: 10_000, logger: silentLogger });
    const invoice = file('a file (invoice.pdf)', 'invoice.pdf', 'application/pdf', makePdf([['Invoice 2026-114', 'Total due: 1,250.00 EUR'], ['Pay by 31 Dec (IBAN DE00 1234)']]));
    expect(await reader.read(message('is this paid?', [invoice]), signal)).toMatchObject({
      text: 'is this paid?\n\n[file (invoice.pdf), the text of its 2 pages]\n[page 1]\nInvoice 2026-114\nTotal due: 1,250.00 EUR\n\n[page 2]\nPay by 31 Dec (IBAN DE00 1234)\n[end of file (invoice.pdf)]',
    });
    const scan = file('a file (scan.pdf)', 'scan.pdf', 'application/pdf', makePdf([[]]));
    expect(await reader.read(message('', [scan]), signal)).toBe("I couldn't read your file (scan.pdf): it has no text layer (a scan?); send the pages as images, or the text. Paste the part that matters as text.");
    // With a vision model, a scan's pages are drawn and described, one call a page.
    const pages: string[] = [];
    const eyes: ImageDescriber = {
      model: 'vision',
      describe: async (image, mimeType, request) => {
        // The page as drawn: white paper, the blue box where the PDF puts it (612 pt wide, drawn 1,600 px wide).
        const drawn = await loadImage(Buffer.from(image));
        const canvas = createCanvas(drawn.width, drawn.height);
        canvas.getContext('2d').drawImage(drawn, 0, 0);
        const scale = 1_600 / 612;
        const pixel = (x: number, y: number) => [...canvas.getContext('2d').getImageData(Math.round(x * scale), Math.round((792 - y) * scale), 1, 1).data];
        expect([drawn.width, pixel(200, 175), pixel(20, 20)]).toEqual([1_600, [0, 0, 255, 255], [255, 255, 255, 255]]);
        pages.push(`${mimeType} ${Buffer.from(image).subarray(0, 4).toString('hex')} ${request}`);
        return `a blue box (${pages.length})`;
      },
    };
    const scans = new FileReader({ maxInputChars: 10_000, logger: silentLogger, describer: eyes });
    const twoPages = file('a file (scan.pdf)', 'scan.pdf', 'application/pdf', makePdf([[], []]));
    expect(await scans.read(message('what does it say?', [twoPages]), signal)).toMatchObject({
      text: 'what does it say?\n\n[file (scan.pdf), a scan of 2 pages, described by a vision model]\n[page 1]\na blue box (1)\n\n[page 2]\na blue box (2)\n[end of file (scan.pdf)]',
    });
    expect(pages).toEqual(['image/png 89504e47 what does it say?', 'image/png 89504e47 what does it say?']);
    const broken = file('a file (broken.pdf)', 'broken.pdf', undefined, 'not a PDF at all');
    expect(await reader.read(message('', [broken]), signal)).toMatch(/^I couldn't read your file \(broken\.pdf\): it is not a readable PDF \(.+\)\. Paste the part that matters as text\.$/);
  });

  it('cuts text files too long to fit to their start and end, keeping the short ones whole', async () => {
    const reader = new FileReader({ maxInputChars: 5_000, logger: silentLogger });
    const lines = Array.from({ length: 1_000 }, (_, i) => `line ${String(i + 1).padStart(4, '0')} ok`);
    const log = file('a file (app.log)', 'app.log', 'text/plain', `${lines.join('\n')}\nFATAL: out of memory\n`);
    const env = file('a file (.env.example)', '.env.example', 'text/plain', 'PORT=8080');
    const read = (await reader.read(message('why did it die?', [log, env]), signal)) as InboundMessage;
    expect(read.text.length).toBeLessThanOrEqual(5_000);
    expect(read.text).toMatch(/^why did it die\?\n\n\[file \(app\.log\), 13,020 characters, shortened to its start and end\]\nline 0001 ok\n/);
    expect(read.text).toMatch(/\nline \d{4} ok\n\[… [\d,]+ characters \([\d,]+ lines\) left out …\]\nline \d{4} ok\n/);
    expect(read.text).toMatch(/line 1000 ok\nFATAL: out of memory\n\[end of file \(app\.log\)\]\n\n\[file \(\.env\.example\)\]\nPORT=8080\n\[end of file \(\.env\.example\)\]$/);
    // The marker counts exactly the lines between the two parts.
    const [, last, left, first] = /line (\d{4}) ok\n\[… [\d,]+ characters \(([\d,]+) lines\) left out …\]\nline (\d{4}) ok/.exec(read.text) ?? [];
    expect(Number(first) - Number(last) - 1).toBe(Number(left));
  });

  it('cuts text files to the token room the message has in the context too, the caption whole', async () => {
    const reader = new FileReader({ maxInputChars: 100_000, logger: silentLogger });
    // 12,000 characters of digits and marks: well within the character limit, more than 3,000 tokens (four characters a token makes it half that).
    const lines = Array.from({ length: 400 }, (_, i) => `10.0.${i % 255}.7 [09:${String(i % 60).padStart(2, '0')}] 200 ${i}`);
    const log = file('a file (access.log)', 'access.log', 'text/plain', `${lines.join('\n')}\n10.0.9.9 [10:00] 500 boom\n`);
    const asked: InboundMessage[] = [];
    const tokenRoom = (read: InboundMessage) => {
      asked.push(read);
      return 1_500;
    };
    const read = (await reader.read(message('what failed?', [log]), signal, tokenRoom)) as InboundMessage;
    // Asked with the message as read, within the character limit.
    expect(asked.map((m) => m.text.startsWith('what failed?\n\n[file (access.log)]\n10.0.0.7'))).toEqual([true]);
    expect(estimateTokens(read.text)).toBeLessThanOrEqual(1_500);
    expect(read.text).toMatch(/^what failed\?\n\n\[file \(access\.log\), [\d,]+ characters, shortened to its start and end\]\n10\.0\.0\.7 /);
    expect(read.text).toMatch(/\[… [\d,]+ characters \([\d,]+ lines\) left out …\]/);
    expect(read.text).toMatch(/10\.0\.9\.9 \[10:00\] 500 boom\n\[end of file \(access\.log\)\]$/);
  });

  it('leaves a message the token room cannot take to the turn, which refuses it by tokens: the typed words are never cut', async () => {
    const reader = new FileReader({ maxInputChars: 100_000, logger: silentLogger });
    const words = 'please read this: '.repeat(200);
    const notes = file('a file (notes.md)', 'notes.md', undefined, 'x'.repeat(10_000));
    const read = (await reader.read(message(words, [notes]), signal, () => 500)) as InboundMessage;
    expect(read.text === `${words.trim()}\n\n[file (notes.md)]\n${'x'.repeat(10_000)}\n[end of file (notes.md)]`).toBe(true);
  });

  it('refuses a message that comes out longer than the input limit once its files are in', async () => {
    const reader = new FileReader({ maxInputChars: 60, logger: silentLogger, transcriber });
    const notes = file('a file (notes.md)', 'notes.md', undefined, 'x'.repeat(30));
    const voice = file('a voice message', 'voice.ogg', 'audio/ogg', 'OggS');
    expect(await reader.read(message('see', [notes, voice]), signal)).toBe(
      'Your message is 129 characters long with your file (notes.md) and your voice message in text; the limit is 60. Send less at once, or split it.',
    );
  });
});
