import crypto from 'node:crypto';
import request from 'supertest';
import { downloadFileName } from '../../api/downloads';
import type { AcceptedMimeType } from '../../domain/deposit-rules';
import type { ExtractionResult } from '../../extraction/types';
import { drawBitmapText, encodeGrayPng } from '../../infra/bitmap-text';
import {
  binary,
  generatedProForma,
  matchingInvoice,
  programReadings,
  startApiStack,
  type ApiStack,
} from '../helpers/api';
import { perfectReading } from '../helpers/stack';

jest.setTimeout(120_000);

const sha256Of = (bytes: Buffer) => crypto.createHash('sha256').update(bytes).digest('hex');

describe('downloadFileName', () => {
  it.each<[string, AcceptedMimeType, string]>([
    ['facture.pdf', 'application/pdf', 'facture.pdf'],
    ['facture.html', 'application/pdf', 'facture.pdf'],
    ['Facture.PDF', 'application/pdf', 'Facture.PDF'],
    ['scan.jpeg', 'image/jpeg', 'scan.jpeg'],
    ['scan.jpg', 'image/png', 'scan.png'],
    ['facture', 'image/gif', 'facture.gif'],
    ['.html', 'application/pdf', 'document.pdf'],
    ['facture.svg.html', 'application/pdf', 'facture.svg.pdf'],
    ['Facture_réception.pdf', 'application/pdf', 'Facture_réception.pdf'],
    ['fact\u202Efdp.exe', 'application/pdf', 'factfdp.pdf'],
    ['a<b>:"c|d?*.pdf', 'application/pdf', 'a_b___c_d__.pdf'],
    ['..\\..\\windows\\facture.htm', 'application/pdf', 'facture.pdf'],
  ])('downloads %j, judged %s, as %j', (deposited, mimeType, expected) => {
    expect(downloadFileName(deposited, mimeType)).toBe(expected);
  });
});

/**
 * A document is served as what its content was judged to be at deposit, never as what its name claims: a browser
 * must not render a PDF/HTML polyglot named facture.html as a page of the site.
 */
describe('document downloads', () => {
  let api: ApiStack;
  beforeAll(async () => {
    api = await startApiStack();
  });
  afterAll(() => api.teardown());

  const cfa = () => ({ Authorization: `Bearer ${api.users.cfa.token}` });

  async function depositAndDownload(proForma: { number: string }, file: Buffer, name: string) {
    const deposit = await request(api.app)
      .post(`/api/pro-formas/${proForma.number}/invoice`)
      .set(cfa())
      .attach('file', file, name);
    expect(deposit.status).toBe(202);
    expect(deposit.body.documents).toMatchObject([{ version: 1, fileName: name }]);
    return request(api.app).get(`/api/pro-formas/${proForma.number}/documents/1`).set(cfa()).buffer(true).parse(binary);
  }

  it('serves a PDF/HTML polyglot named facture.html as application/pdf, named facture.pdf, not sniffable', async () => {
    const readings = programReadings(api);
    const proForma = await generatedProForma(api);
    const { pdf } = matchingInvoice(api, readings, proForma);
    const polyglot = Buffer.concat([Buffer.from('%PDF-1.7\n<!--<html><script>alert(1)</script>-->\n'), pdf]);
    readings.set(sha256Of(polyglot), readings.get(sha256Of(pdf)) as ExtractionResult);

    const res = await depositAndDownload(proForma, polyglot, 'facture.html');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.headers['content-disposition']).toBe('attachment; filename=facture.pdf');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['cache-control']).toBe('private, no-store');
    expect((res.body as Buffer).equals(polyglot)).toBe(true);
  });

  it('names a PNG deposited as a .jpg with .png, in an RFC 5987 filename* for its non-ASCII name', async () => {
    const readings = programReadings(api);
    const proForma = await generatedProForma(api);
    const png = encodeGrayPng(drawBitmapText(['FACTURE']));
    readings.set(
      sha256Of(png),
      perfectReading(proForma.number, proForma.totalCents, { cfa: api.cfa, installments: [] }),
    );

    const res = await depositAndDownload(proForma, png, 'Scan réception.jpg');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    expect(res.headers['content-disposition']).toBe(
      'attachment; filename="Scan r?ception.png"; filename*=UTF-8\'\'Scan%20r%C3%A9ception.png',
    );
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect((res.body as Buffer).equals(png)).toBe(true);
  });
});
