import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DocumentNotFoundError, FileDocumentStore, sha256Hex } from '../../infra/storage';

describe('FileDocumentStore', () => {
  let root: string;
  let store: FileDocumentStore;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'store-'));
    store = new FileDocumentStore(root);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('stores a file under its SHA-256 and reads the same bytes back', async () => {
    const content = crypto.randomBytes(4096);
    const stored = await store.put(content);
    expect(stored).toEqual({ key: sha256Hex(content), sha256: sha256Hex(content), size: 4096, created: true });
    expect((await store.get(stored.key)).equals(content)).toBe(true);
    expect(await store.has(stored.key)).toBe(true);
  });

  it('writes the same content once, and never overwrites a stored file', async () => {
    const content = Buffer.from('facture');
    const first = await store.put(content);
    const file = path.join(root, first.key.slice(0, 2), first.key);
    const { mtimeMs, ino } = fs.statSync(file);
    const again = await store.put(content);
    expect(again.created).toBe(false);
    expect(fs.statSync(file)).toMatchObject({ mtimeMs, ino });
  });

  it('stores concurrent puts of the same content as one complete file', async () => {
    const content = crypto.randomBytes(1024 * 1024);
    const results = await Promise.all(Array.from({ length: 8 }, () => store.put(content)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect((await store.get(sha256Hex(content))).equals(content)).toBe(true);
  });

  it('leaves no temporary file behind', async () => {
    const { key } = await store.put(Buffer.from('x'));
    expect(fs.readdirSync(path.join(root, key.slice(0, 2)))).toEqual([key]);
  });

  it('deletes a stored file, stays quiet for an absent one, and refuses a key that is not a SHA-256', async () => {
    const { key } = await store.put(Buffer.from('refusée'));
    await store.delete(key);
    expect(await store.has(key)).toBe(false);
    await expect(store.delete(key)).resolves.toBeUndefined();
    await expect(store.delete('../../etc/passwd')).rejects.toThrow(/Invalid document key/);
  });

  it('answers a clear error for an unknown key, and refuses a key that is not a SHA-256', async () => {
    await expect(store.get('0'.repeat(64))).rejects.toBeInstanceOf(DocumentNotFoundError);
    await expect(store.get('../../etc/passwd')).rejects.toThrow(/Invalid document key/);
  });
});
