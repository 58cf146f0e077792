import zlib from 'node:zlib';
import { measureDecodedSize } from '../../extraction/pdf-streams';
import { INVOICE_LINES, buildPdf, pdfStream, textPdf } from './fixtures';

const KB = 1024;

/** A PDF holding one stream with this dictionary and data (no page needs it: the scan reads every stream). */
function withStream(dictionary: string, data: Buffer): Buffer {
  return buildPdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [] /Count 0 >>',
    pdfStream(dictionary, data),
  ]);
}

/** PDF 32000-1 §7.4.3, the encoder side (with the `z` shorthand). */
function ascii85(data: Buffer): Buffer {
  let out = '';
  for (let i = 0; i < data.length; i += 4) {
    const group = Buffer.alloc(4);
    data.copy(group, 0, i, i + 4);
    let value = group.readUInt32BE(0);
    const count = Math.min(4, data.length - i);
    if (value === 0 && count === 4) {
      out += 'z';
      continue;
    }
    const digits: string[] = [];
    for (let k = 0; k < 5; k += 1) {
      digits.unshift(String.fromCharCode((value % 85) + 33));
      value = Math.floor(value / 85);
    }
    out += digits.slice(0, count + 1).join('');
  }
  return Buffer.from(`${out}~>`, 'latin1');
}

/** LZW codes 0, 258, 259, …: each new code is the previous string plus its first byte (the KwKwK case), 9 bits wide. */
function lzwRamp(codes: number): { data: Buffer; decoded: number } {
  const values = [0, ...Array.from({ length: codes - 1 }, (_, i) => 258 + i), 257];
  let bits = '';
  for (const value of values) bits += value.toString(2).padStart(9, '0');
  bits = bits.padEnd(Math.ceil(bits.length / 8) * 8, '0');
  const data = Buffer.from(bits.match(/.{8}/g)?.map((byte) => parseInt(byte, 2)) ?? []);
  return { data, decoded: (codes * (codes + 1)) / 2 };
}

describe('measureDecodedSize', () => {
  it('proves an ordinary invoice within the budget from its streams’ bounds', async () => {
    const size = await measureDecodedSize(textPdf(INVOICE_LINES), 256 * KB * KB);
    expect(size).toMatchObject({ exceededAt: null, streams: 1 });
  });

  it.each([
    ['a Flate stream', '/Filter /FlateDecode', () => zlib.deflateSync(Buffer.alloc(2048 * KB))],
    ['abbreviated filter names', '/Filter /Fl', () => zlib.deflateSync(Buffer.alloc(2048 * KB))],
    ['raw deflate without the zlib header', '/Filter /FlateDecode', () => zlib.deflateRawSync(Buffer.alloc(2048 * KB))],
    [
      'Flate twice',
      '/Filter [/FlateDecode /FlateDecode]',
      () => zlib.deflateSync(zlib.deflateSync(Buffer.alloc(2048 * KB))),
    ],
    ['ASCII85 around Flate', '/Filter [/A85 /Fl]', () => ascii85(zlib.deflateSync(Buffer.alloc(2048 * KB)))],
    ['RunLength', '/Filter /RunLengthDecode', () => Buffer.from(Array.from({ length: 20_000 }, () => [129, 0]).flat())],
    // 240 codes decode to 28,920 bytes: past a budget of 20 KB.
    ['LZW', '/Filter /LZWDecode', () => lzwRamp(240).data, 20 * KB],
  ])('refuses %s that decodes past the budget', async (_what, dictionary, data, budget = 1000 * KB) => {
    const size = await measureDecodedSize(withStream(dictionary, data()), budget);
    expect(size.exceededAt).not.toBeNull();
    expect(size.decodedBytes).toBeGreaterThan(budget);
  });

  it('counts exactly what a stream decodes to when its bound does not prove it small', async () => {
    const { data, decoded } = lzwRamp(200);
    const size = await measureDecodedSize(withStream('/Filter /LZWDecode', data), 1000 * KB);
    expect(size).toEqual({ streams: 1, decodedBytes: decoded, exceededAt: null });
  });

  it('finds the data by `endstream` when /Length lies', async () => {
    const data = zlib.deflateSync(Buffer.alloc(2048 * KB));
    const lying = withStream('/Filter /FlateDecode', data)
      .toString('latin1')
      .replace(`/Length ${data.length}`, '/Length 10');
    const size = await measureDecodedSize(Buffer.from(lying, 'latin1'), 1000 * KB);
    expect(size.exceededAt).not.toBeNull();
  });

  it('counts a stream under a filter it does not decode at its stored size', async () => {
    const size = await measureDecodedSize(withStream('/Filter /DCTDecode', Buffer.alloc(4 * KB)), 1000 * KB);
    expect(size).toEqual({ streams: 1, decodedBytes: 4 * KB, exceededAt: null });
  });

  it('scans a file of unclosed dictionaries in linear time', async () => {
    const hostile = Buffer.from(`%PDF-1.7\n${'1 0 obj << '.repeat(200_000)}`, 'latin1');
    const started = Date.now();
    expect(await measureDecodedSize(hostile, 1000 * KB)).toMatchObject({ streams: 0, exceededAt: null });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
