import zlib from 'node:zlib';

/**
 * The decoded size of a PDF, measured before pdfjs sees it. pdfjs inflates a stream into buffers that double as
 * they fill, outside the V8 heap, with no limit: a 1.5 MB file of Flate streams inflating to 1.5 GB took a
 * reader to 5.9 GB. Here every stream's filter chain is decoded with a byte budget (zlib stops at
 * `maxOutputLength`), the outputs are counted and dropped, and the file is refused once the total passes the
 * budget. Only the filters that can amplify (Flate, LZW, RunLength) and those that wrap them (ASCIIHex, ASCII85)
 * are decoded; image codecs (DCT, JPX, JBIG2, CCITT) are bounded by pdfjs's own `maxImageSize`.
 *
 * This is a scan of the bytes, not a PDF parser: a stream is `<< … >> stream EOL … endstream`. A stream it cannot
 * measure (an encrypted file, a filter given by reference) is skipped; the reader's memory limit still applies.
 */

export interface DecodedSize {
  streams: number;
  /**
   * Sum of the decoded sizes of the streams: an upper bound when the bounds alone keep it within the budget, else
   * as far as it was measured (at most just past the budget).
   */
  decodedBytes: number;
  /** The stream that passed the budget, if any. */
  exceededAt: number | null;
}

/** An indirect object whose value is a dictionary: `12 0 obj <<`. */
const OBJECT_DICTIONARY = /\bobj\s*<</g;
const STREAM_KEYWORD = /^\s*stream(?:\r\n|\n|\r)/;
const ENDSTREAM = Buffer.from('endstream', 'latin1');
/** A stream's dictionary is short; a longer one is not measured (the memory limit still applies). */
const MAX_DICTIONARY_CHARS = 65_536;

const FILTER_ALIASES: Record<string, string> = {
  Fl: 'FlateDecode',
  LZW: 'LZWDecode',
  RL: 'RunLengthDecode',
  AHx: 'ASCIIHexDecode',
  A85: 'ASCII85Decode',
};

interface StreamAt {
  /** Offset of its object, for the message. */
  objectAt: number;
  data: Buffer;
  filters: string[] | null;
}

/**
 * First the streams are listed (one pass: every object is visited once and every stream's data skipped, so the scan
 * is linear) with an upper bound of their decoded sizes from their filters (deflate inflates at most ~1032 times).
 * Then the streams with the largest bounds are inflated and counted, until what is counted plus the bounds of the
 * rest fits the budget: an ordinary file is proven after its few large streams (fonts, images), a bomb is measured.
 */
export async function measureDecodedSize(bytes: Uint8Array, budgetBytes: number): Promise<DecodedSize> {
  const streams = listStreams(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
    .map((stream) => ({ ...stream, bound: upperBound(stream.data.length, stream.filters) }))
    .sort((a, b) => b.bound - a.bound);
  // Unbounded (LZW) streams sort first; the bounds of the others add up.
  let unboundedLeft = streams.filter((stream) => !Number.isFinite(stream.bound)).length;
  let boundLeft = streams.reduce((sum, stream) => (Number.isFinite(stream.bound) ? sum + stream.bound : sum), 0);
  let decodedBytes = 0;
  for (const stream of streams) {
    if (unboundedLeft === 0 && decodedBytes + boundLeft <= budgetBytes) break;
    decodedBytes += await decodedLength(stream.data, stream.filters, budgetBytes - decodedBytes);
    if (decodedBytes > budgetBytes) return { streams: streams.length, decodedBytes, exceededAt: stream.objectAt };
    if (Number.isFinite(stream.bound)) boundLeft -= stream.bound;
    else unboundedLeft -= 1;
  }
  return { streams: streams.length, decodedBytes: decodedBytes + boundLeft, exceededAt: null };
}

function listStreams(buffer: Buffer): StreamAt[] {
  const text = buffer.toString('latin1');
  const streams: StreamAt[] = [];
  const objects = new RegExp(OBJECT_DICTIONARY.source, 'g');
  for (let match = objects.exec(text); match; match = objects.exec(text)) {
    const dictionaryStart = match.index + match[0].length - 2;
    const dictionaryEnd = closingOf(text, dictionaryStart);
    objects.lastIndex = Math.abs(dictionaryEnd);
    if (dictionaryEnd < 0) continue;
    const keyword = STREAM_KEYWORD.exec(text.slice(dictionaryEnd, dictionaryEnd + 64));
    if (!keyword) continue;
    const dictionary = text.slice(dictionaryStart, dictionaryEnd);
    const start = dictionaryEnd + keyword[0].length;
    const end = dataEnd(buffer, text, dictionary, start);
    objects.lastIndex = end;
    streams.push({ objectAt: match.index, data: buffer.subarray(start, end), filters: filtersOf(dictionary) });
  }
  return streams;
}

/** Deflate's best ratio is 1032:1 (RFC 1951: 258 bytes from a 2-bit code), plus a few bytes of stream framing. */
const FLATE_RATIO = 1032;

/** The most `length` bytes can decode to through `filters`; LZW's growth has no useful bound (quadratic). */
function upperBound(length: number, filters: string[] | null): number {
  let bound = length;
  for (const filter of filters ?? []) {
    if (filter === 'FlateDecode') bound = bound * FLATE_RATIO + 64;
    else if (filter === 'RunLengthDecode') bound = bound * 64 + 128;
    else if (filter === 'ASCIIHexDecode') bound = Math.ceil(bound / 2);
    // `z` stands for four zero bytes.
    else if (filter === 'ASCII85Decode') bound *= 4;
    else if (filter === 'LZWDecode') return Number.POSITIVE_INFINITY;
    else break;
  }
  return bound;
}

/**
 * The index just after the `>>` that closes the dictionary opened at `start`, skipping literal strings (which may
 * hold `>>`). Negative (minus where the search stopped) when it does not close within MAX_DICTIONARY_CHARS.
 */
function closingOf(text: string, start: number): number {
  const limit = Math.min(text.length, start + MAX_DICTIONARY_CHARS);
  let depth = 0;
  let parentheses = 0;
  for (let i = start; i < limit; i += 1) {
    const char = text[i];
    if (parentheses > 0) {
      if (char === '\\') i += 1;
      else if (char === '(') parentheses += 1;
      else if (char === ')') parentheses -= 1;
    } else if (char === '(') {
      parentheses = 1;
    } else if (char === '<' && text[i + 1] === '<') {
      depth += 1;
      i += 1;
    } else if (char === '>' && text[i + 1] === '>') {
      depth -= 1;
      i += 1;
      if (depth === 0) return i + 1;
    }
  }
  return -limit;
}

/** Where the stream's data ends: its direct `/Length` when `endstream` follows it, else the next `endstream`. */
function dataEnd(buffer: Buffer, text: string, dictionary: string, start: number): number {
  const length = /\/Length\s+(\d+)(?!\s+\d+\s+R)/.exec(dictionary);
  if (length) {
    const end = start + Number(length[1]);
    if (end <= buffer.length && /^\s*endstream/.test(text.slice(end, end + 32))) return end;
  }
  const next = buffer.indexOf(ENDSTREAM, start);
  return next < 0 ? buffer.length : next;
}

function filtersOf(dictionary: string): string[] | null {
  // The top-level /Filter: a name or an array of names. By reference (`/Filter 12 0 R`): unknown.
  const match = /\/Filter\s*(\[[^\]]*\]|\/[A-Za-z0-9]+|\d+\s+\d+\s+R)/.exec(dictionary);
  if (!match) return [];
  const value = match[1] as string;
  if (/R$/.test(value)) return null;
  return [...value.matchAll(/\/([A-Za-z0-9]+)/g)].map((m) => FILTER_ALIASES[m[1] as string] ?? (m[1] as string));
}

/**
 * Decoded length of one stream within `budget` (a value past the budget means "too large"). The last Flate stage,
 * where a bomb goes off, is inflated chunk by chunk and counted, never held; earlier stages are held within the
 * budget. Decoding stops at the first filter that neither amplifies nor wraps: the rest counts at its size.
 */
async function decodedLength(data: Buffer, filters: string[] | null, budget: number): Promise<number> {
  if (filters === null) return data.length;
  let current: Buffer = data;
  for (const [index, filter] of filters.entries()) {
    const limit = Math.max(0, budget) + 1;
    let next: Buffer | null;
    switch (filter) {
      case 'FlateDecode':
        if (index === filters.length - 1) return inflatedLength(current, limit);
        next = inflate(current, limit);
        break;
      case 'LZWDecode':
        next = lzwDecode(current, limit);
        break;
      case 'RunLengthDecode':
        next = runLengthDecode(current, limit);
        break;
      case 'ASCIIHexDecode':
        next = Buffer.from(
          current
            .toString('latin1')
            .replace(/>.*$/s, '')
            .replace(/[^0-9a-fA-F]/g, ''),
          'hex',
        );
        break;
      case 'ASCII85Decode':
        next = ascii85Decode(current);
        break;
      default:
        return current.length;
    }
    if (next === null) return limit;
    current = next;
  }
  return current.length;
}

/** Streams below this inflate to at most ~1032 times their size (deflate's best ratio): inflated in one call. */
const SMALL_STREAM_BYTES = 4096;

/** zlib's default 16 KiB output chunks make counting 300 MB take 2 s; 1 MiB chunks, 0.3 s (measured here). */
const INFLATE_CHUNK_BYTES = 1024 * 1024;

/** How many bytes `data` inflates to, counted up to `limit`; damaged data counts what inflated before the damage. */
async function inflatedLength(data: Buffer, limit: number): Promise<number> {
  if (data.length <= SMALL_STREAM_BYTES) return (inflate(data, limit) ?? { length: limit }).length;
  const options = { finishFlush: zlib.constants.Z_SYNC_FLUSH, chunkSize: INFLATE_CHUNK_BYTES };
  const counted = await countInflated(zlib.createInflate(options), data, limit);
  // Raw deflate without the zlib header, which some writers produce and pdfjs accepts.
  if (counted === 'invalid') {
    const raw = await countInflated(zlib.createInflateRaw(options), data, limit);
    return raw === 'invalid' ? data.length : raw;
  }
  return counted;
}

function countInflated(inflater: zlib.Inflate | zlib.InflateRaw, data: Buffer, limit: number) {
  return new Promise<number | 'invalid'>((resolve) => {
    let total = 0;
    inflater.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total >= limit) {
        inflater.destroy();
        resolve(limit);
      }
    });
    inflater.on('error', () => resolve(total > 0 ? total : 'invalid'));
    inflater.on('end', () => resolve(total));
    inflater.end(data);
  });
}

/** Inflated bytes, or null past `limit`; damaged data gives what zlib could inflate before the damage. */
function inflate(data: Buffer, limit: number): Buffer | null {
  try {
    return zlib.inflateSync(data, { maxOutputLength: limit, finishFlush: zlib.constants.Z_SYNC_FLUSH });
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return null;
    try {
      return zlib.inflateRawSync(data, { maxOutputLength: limit, finishFlush: zlib.constants.Z_SYNC_FLUSH });
    } catch (rawError) {
      if ((rawError as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return null;
      return data;
    }
  }
}

/** PDF 32000-1 §7.4.4 (LZW, early change 1); null past `limit`. */
function lzwDecode(data: Buffer, limit: number): Buffer | null {
  const chunks: Buffer[] = [];
  let total = 0;
  let dictionary: Buffer[] = [];
  const resetDictionary = () => {
    dictionary = Array.from({ length: 258 }, (_, i) => Buffer.from([i & 0xff]));
  };
  resetDictionary();
  let codeLength = 9;
  let previous: Buffer | null = null;
  let bitBuffer = 0;
  let bitCount = 0;
  for (const byte of data) {
    bitBuffer = ((bitBuffer << 8) | byte) & 0xffffff;
    bitCount += 8;
    while (bitCount >= codeLength) {
      const code = (bitBuffer >> (bitCount - codeLength)) & ((1 << codeLength) - 1);
      bitCount -= codeLength;
      if (code === 256) {
        resetDictionary();
        codeLength = 9;
        previous = null;
        continue;
      }
      if (code === 257) return Buffer.concat(chunks);
      let entry = dictionary[code];
      if (!entry) {
        if (!previous || code !== dictionary.length) return Buffer.concat(chunks);
        entry = Buffer.concat([previous, previous.subarray(0, 1)]);
      }
      chunks.push(entry);
      total += entry.length;
      if (total > limit) return null;
      if (previous && dictionary.length < 4096) dictionary.push(Buffer.concat([previous, entry.subarray(0, 1)]));
      previous = entry;
      const next = dictionary.length + 1;
      codeLength = next >= 2048 ? 12 : next >= 1024 ? 11 : next >= 512 ? 10 : 9;
    }
  }
  return Buffer.concat(chunks);
}

/** PDF 32000-1 §7.4.5; null past `limit`. */
function runLengthDecode(data: Buffer, limit: number): Buffer | null {
  const chunks: Buffer[] = [];
  let total = 0;
  let i = 0;
  while (i < data.length) {
    const length = data[i] as number;
    if (length === 128) break;
    let chunk: Buffer;
    if (length < 128) {
      chunk = data.subarray(i + 1, i + 2 + length);
      i += 2 + length;
    } else {
      chunk = Buffer.alloc(257 - length, data[i + 1] ?? 0);
      i += 2;
    }
    total += chunk.length;
    if (total > limit) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** PDF 32000-1 §7.4.3: never larger than 4/5 of its input (plus the `z` shorthand, 4 bytes for 1). */
function ascii85Decode(data: Buffer): Buffer {
  const text = data.toString('latin1').replace(/~>.*$/s, '').replace(/\s/g, '');
  const out: number[] = [];
  let group: number[] = [];
  const flush = (count: number) => {
    while (group.length < 5) group.push(84);
    let value = 0;
    for (const digit of group) value = value * 85 + digit;
    for (let k = 0; k < count; k += 1) out.push((value >>> (24 - 8 * k)) & 0xff);
    group = [];
  };
  for (const char of text) {
    if (char === 'z' && group.length === 0) {
      out.push(0, 0, 0, 0);
      continue;
    }
    const digit = char.charCodeAt(0) - 33;
    if (digit < 0 || digit > 84) continue;
    group.push(digit);
    if (group.length === 5) flush(4);
  }
  if (group.length > 1) flush(group.length - 1);
  return Buffer.from(out);
}
