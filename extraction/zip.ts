import type { Readable } from 'node:stream';
import yauzl from 'yauzl';

/**
 * yauzl's callbacks as promises, for the readers of zipped formats (.xlsx): the archive opened from memory with its
 * entries' sizes checked as they inflate (an entry inflating past its declared size fails its stream), its central
 * directory walked entry by entry, an entry streamed.
 */

export function openZip(content: Buffer): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.fromBuffer(content, { lazyEntries: true, validateEntrySizes: true }, (error, file) =>
      error || !file ? reject(error ?? new Error('unreadable zip')) : resolve(file),
    ),
  );
}

/** The directory's next entry; null past the last. */
export function nextEntry(zip: yauzl.ZipFile): Promise<yauzl.Entry | null> {
  return new Promise((resolve, reject) => {
    const onEntry = (entry: yauzl.Entry) => {
      zip.off('end', onEnd);
      zip.off('error', onError);
      resolve(entry);
    };
    const onEnd = () => {
      zip.off('entry', onEntry);
      zip.off('error', onError);
      resolve(null);
    };
    const onError = (error: Error) => {
      zip.off('entry', onEntry);
      zip.off('end', onEnd);
      reject(error);
    };
    zip.once('entry', onEntry);
    zip.once('end', onEnd);
    zip.once('error', onError);
    zip.readEntry();
  });
}

export function openEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  return new Promise((resolve, reject) =>
    zip.openReadStream(entry, (error, stream) =>
      error || !stream ? reject(error ?? new Error('unreadable entry')) : resolve(stream),
    ),
  );
}
