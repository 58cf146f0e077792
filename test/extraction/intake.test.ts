import crypto from 'node:crypto';
import { sanitizeFileName } from '../../domain/deposit-rules';
import { checkUpload } from '../../extraction/intake';

const PDF = Buffer.from('%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n');
// 1×1 transparent PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64',
);
const JPEG = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]),
  Buffer.from('JFIF\0'),
  Buffer.alloc(64),
]);
const GIF = Buffer.concat([Buffer.from('GIF89a'), Buffer.from([1, 0, 1, 0, 0, 0, 0]), Buffer.alloc(32)]);
const ELF = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(120)]);
const EXE = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(62), Buffer.from('PE\0\0'), Buffer.alloc(200)]);
const ZIP = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0]), Buffer.alloc(100)]);

describe('checkUpload', () => {
  it.each([
    ['a PDF', PDF, 'facture.pdf', 'application/pdf'],
    ['a PNG', PNG, 'facture.png', 'image/png'],
    ['a JPEG', JPEG, 'facture.jpeg', 'image/jpeg'],
    ['a GIF', GIF, 'facture.gif', 'image/gif'],
    ['a PNG named .pdf, judged by its content', PNG, 'facture.pdf', 'image/png'],
    ['a PDF without extension', PDF, 'facture', 'application/pdf'],
  ])('accepts %s', async (_what, content, name, mimeType) => {
    const result = await checkUpload(content, name);
    expect(result).toEqual({
      ok: true,
      mimeType,
      fileName: name,
      size: content.byteLength,
      sha256: crypto.createHash('sha256').update(content).digest('hex'),
    });
  });

  it.each([
    ['an executable renamed .pdf', ELF, 'facture.pdf'],
    ['a Windows program renamed .pdf', EXE, 'facture.pdf'],
    ['a zip archive renamed .png', ZIP, 'facture.png'],
    ['plain text named .pdf', Buffer.from('Facture n° 12 — total 1 575,00 €'), 'facture.pdf'],
  ])('refuses %s as a type not accepted (415)', async (_what, content, name) => {
    expect(await checkUpload(content, name)).toMatchObject({ ok: false, code: 'FILE_TYPE_NOT_ACCEPTED', status: 415 });
  });

  it('refuses an empty file', async () => {
    expect(await checkUpload(Buffer.alloc(0), 'facture.pdf')).toMatchObject({
      ok: false,
      code: 'FILE_EMPTY',
      status: 422,
    });
  });

  it('refuses a file over 5 MB (413) and accepts one of exactly 5 MB', async () => {
    const limit = 5 * 1024 * 1024;
    const atLimit = Buffer.concat([PDF, Buffer.alloc(limit - PDF.byteLength)]);
    expect(await checkUpload(atLimit, 'facture.pdf')).toMatchObject({ ok: true });
    const over = Buffer.concat([atLimit, Buffer.alloc(1)]);
    expect(await checkUpload(over, 'facture.pdf')).toMatchObject({ ok: false, code: 'FILE_TOO_LARGE', status: 413 });
  });

  it('counts the name in characters, not bytes: 50 accented characters pass, 51 do not', async () => {
    const fifty = `${'é'.repeat(46)}.pdf`;
    expect(Buffer.byteLength(fifty)).toBeGreaterThan(50);
    expect(await checkUpload(PDF, fifty)).toMatchObject({ ok: true, fileName: fifty });
    expect(await checkUpload(PDF, `e${fifty}`)).toMatchObject({
      ok: false,
      code: 'FILE_NAME_TOO_LONG',
      details: { length: 51, maxLength: 50 },
    });
  });

  it('counts a decomposed (macOS) name after NFC normalisation', async () => {
    const decomposed = `${'e\u0301'.repeat(46)}.pdf`;
    const result = await checkUpload(PDF, decomposed);
    expect(result).toMatchObject({ ok: true, fileName: decomposed.normalize('NFC') });
  });

  it('refuses a file without a usable name', async () => {
    expect(await checkUpload(PDF, '  \u0000 ')).toMatchObject({ ok: false, code: 'FILE_NAME_MISSING' });
  });

  it('gives a French message with every refusal', async () => {
    const result = await checkUpload(ELF, 'facture.pdf');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(/Type de fichier non accepté/);
  });
});

describe('sanitizeFileName', () => {
  it.each([
    ['../../etc/passwd', 'passwd'],
    ['C:\\Users\\cfa\\Facture mars.pdf', 'Facture mars.pdf'],
    ['facture\u202Efdp.exe', 'facturefdp.exe'],
    ['  Facture\tn°12 .pdf ', 'Facture n°12 .pdf'],
    ['Facture_réception.pdf', 'Facture_réception.pdf'],
  ])('keeps %j for display as %j, never a path', (raw, expected) => {
    expect(sanitizeFileName(raw)).toBe(expected);
  });
});
