import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/** Where deposited files live. Content-addressed: the key is the SHA-256 of the bytes. An object store can implement it. */
export interface DocumentStore {
  /** Stores the bytes (idempotent: the same content gives the same key and is written once). */
  put(content: Uint8Array): Promise<StoredDocument>;
  get(key: string): Promise<Buffer>;
  has(key: string): Promise<boolean>;
  /**
   * Removes the content (idempotent: an absent key is not an error). Callers make sure that nothing references it
   * any more: the same bytes deposited twice share one key.
   */
  delete(key: string): Promise<void>;
}

export interface StoredDocument {
  key: string;
  sha256: string;
  size: number;
  /** False when the same content was already stored. */
  created: boolean;
}

const KEY = /^[0-9a-f]{64}$/;

export class DocumentNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`No stored document with key ${key}`);
    this.name = 'DocumentNotFoundError';
  }
}

export function sha256Hex(content: Uint8Array): string {
  return crypto.createHash('sha256').update(content).digest('hex');
}

/**
 * Files under `root/ab/abcdef…` (two-level fan-out keeps directories small). A file is written under a
 * temporary name, flushed, then renamed: a crash never leaves a half file under a real key, and an existing
 * file is never overwritten.
 */
export class FileDocumentStore implements DocumentStore {
  constructor(private readonly root: string) {}

  private pathOf(key: string): string {
    if (!KEY.test(key)) throw new Error(`Invalid document key: ${key}`);
    return path.join(this.root, key.slice(0, 2), key);
  }

  async put(content: Uint8Array): Promise<StoredDocument> {
    const sha256 = sha256Hex(content);
    const target = this.pathOf(sha256);
    const stored = { key: sha256, sha256, size: content.byteLength };
    if (await this.has(sha256)) return { ...stored, created: false };
    await fs.mkdir(path.dirname(target), { recursive: true });
    const temp = `${target}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`;
    const handle = await fs.open(temp, 'wx', 0o640);
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      // link() fails if the target exists, unlike rename(): a concurrent writer of the same content wins once.
      await fs.link(temp, target);
      return { ...stored, created: true };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return { ...stored, created: false };
      throw error;
    } finally {
      await fs.rm(temp, { force: true });
    }
  }

  async get(key: string): Promise<Buffer> {
    try {
      return await fs.readFile(this.pathOf(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new DocumentNotFoundError(key);
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await fs.rm(this.pathOf(key), { force: true });
  }

  async has(key: string): Promise<boolean> {
    try {
      await fs.access(this.pathOf(key));
      return true;
    } catch {
      return false;
    }
  }
}
