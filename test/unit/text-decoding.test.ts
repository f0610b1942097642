/**
 * A text file that is not UTF-8 is read in the legacy encoding it is in, which the bytes do not
 * name: a CSV that Excel on a Japanese Windows saved (Shift_JIS), a Chinese one (GBK), a
 * Russian one (Windows-1251). Read as Windows-1252, whatever they were in, they reached the
 * model as mojibake ("“Œ‹ž“s"), which it answered about as if it were the file. Most byte
 * strings decode without an error in several encodings, so an encoding is taken only when its
 * text reads like its language; what fits none is refused with a hint.
 */
import { describe, expect, it } from 'vitest';
import iconv from 'iconv-lite';
import { decodeText } from '../../src/core/text-decoding.js';
import { FileReader } from '../../src/core/file-reader.js';
import { silentLogger } from '../../src/core/logger.js';
import type { InboundFile, InboundMessage } from '../../src/core/message.js';

function csv(name: string, bytes: Buffer): InboundFile {
  return { label: `a file (${name})`, fileName: name, contentType: 'text/csv', size: bytes.length, load: async () => bytes };
}

function message(file: InboundFile): InboundMessage {
  return { platform: 'test', conversationId: 'test:1', userId: 'test:u', senderId: 'u', userName: 'u', text: 'which city sold most?', attachments: [file.label], files: [file], isDirect: true, isSelf: false, messageId: 'm1', receivedAt: new Date(0) };
}

describe('a text file in a legacy encoding', () => {
  it.each([
    ['shift_jis', 'Shift_JIS', '都市,売上\n東京都,1200\n大阪府,900'],
    ['gbk', 'GBK (GB18030)', '城市,销售额\n北京市,1200\n上海市,900'],
  ])('reaches the model in its own encoding (%s), and says which', async (encoding, name, content) => {
    const reader = new FileReader({ maxInputChars: 10_000, logger: silentLogger });
    const read = await reader.read(message(csv('sales.csv', iconv.encode(`${content}\n`, encoding))), new AbortController().signal);
    expect(read).toMatchObject({ text: `which city sold most?\n\n[file (sales.csv), read as ${name} text (it is not UTF-8)]\n${content}\n[end of file (sales.csv)]` });
  });

  it.each([
    ['shift_jis', 'Shift_JIS', 'これは日本語のテキストです。会議は明日の午後三時から始まります。'],
    ['shift_jis', 'Shift_JIS', '氏名,フリガナ\n山田太郎,ﾔﾏﾀﾞ ﾀﾛｳ'],
    ['euc-jp', 'EUC-JP', 'これは日本語のテキストです。会議は明日の午後三時から始まります。'],
    ['gbk', 'GBK (GB18030)', '姓名,部门,工资\n张伟,研发部,15000\n王芳,市场部,12000'],
    ['big5', 'Big5', '城市,銷售額\n台北市,1200\n高雄市,900'],
    ['euc-kr', 'EUC-KR', '도시,매출\n서울,1200\n부산,900'],
    ['win1251', 'Windows-1251', 'Город,Продажи\nМосква,1200\nСанкт-Петербург,900'],
    ['win1251', 'Windows-1251', 'Місто,Продаж\nКиїв,1200\nЛьвів,900'],
    ['win1252', 'Windows-1252', 'Nom,Ville\nFrançois,Orléans\nHélène,Besançon'],
    ['win1252', 'Windows-1252', 'Größe,Straße\nÄrger,Übel'],
    ['win1252', 'Windows-1252', 'informações,ação,São Paulo'],
    ['win1252', 'Windows-1252', '“Price” – 5 € … done\n———'],
  ])('reads %s text as %s', (encoding, name, content) => {
    expect(decodeText(iconv.encode(content, encoding))).toEqual({ text: content, about: `read as ${name} text (it is not UTF-8)` });
  });

  it('does not take accented Latin letters before ASCII ones for kanji (é then a is valid Shift_JIS)', () => {
    expect(decodeText(iconv.encode('Orléans,Besançon', 'win1252')).about).toBe('read as Windows-1252 text (it is not UTF-8)');
    expect(decodeText(iconv.encode('да', 'win1251')).about).toBe('read as Windows-1251 text (it is not UTF-8)');
  });

  it.each([
    ['win1253', 'Καλημέρα κόσμε, αυτό είναι ελληνικό κείμενο.'],
    ['win1250', 'Łódź, Kraków, Gdańsk, Wrocław, zażółć gęślą jaźń'],
  ])('refuses %s text, which it cannot tell, with how to send it instead', (encoding, content) => {
    expect(() => decodeText(iconv.encode(content, encoding))).toThrow('it is not UTF-8, and not in an encoding I could tell; save it as UTF-8 (in Excel: CSV UTF-8) and send it again');
  });
});

describe('a UTF-8 file with a few bytes that are not UTF-8', () => {
  it('is read as UTF-8, the few shown as U+FFFD and counted', () => {
    // A log cut in the middle of its last character.
    const log = Buffer.concat([Buffer.from('日志：服务器启动成功，监听端口八零八零。'.repeat(3)), Buffer.from([0xe6, 0x97])]);
    expect(decodeText(log)).toEqual({ text: `${'日志：服务器启动成功，监听端口八零八零。'.repeat(3)}\uFFFD`, about: 'read as UTF-8, with a byte sequence that is not UTF-8 shown as \uFFFD' });
  });
});

describe('a binary file', () => {
  it('is refused, naming the type it came with when that does not say text', () => {
    expect(() => decodeText(new Uint8Array([0x47, 0x40, 0x00, 0xff]), 'video/mp2t')).toThrow('it is a binary file (sent as video/mp2t), not text');
    expect(() => decodeText(new Uint8Array([0x41, 0x00, 0x42]))).toThrow('it is a binary file, not text');
  });
});
