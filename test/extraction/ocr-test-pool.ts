import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createOcrPool, type OcrPool, type RecognizeOptions } from '../../infra/ocr-pool';

/**
 * A real tesseract.js pool for a test file, its language data in a temporary folder, and a spy on the pages
 * it is asked to read.
 */
export interface TestOcr {
  pool: OcrPool;
  recognize: jest.Mock<ReturnType<OcrPool['recognize']>, [Buffer, RecognizeOptions?]>;
  close(): Promise<void>;
}

export async function startTestOcr(workers = 1, pageTimeoutMs?: number): Promise<TestOcr> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ocr-test-'));
  const pool = await createOcrPool({ workers, dataDir, pageTimeoutMs });
  const recognize = jest.fn((image: Buffer, options?: RecognizeOptions) => pool.recognize(image, options));
  return {
    pool,
    recognize,
    async close() {
      await pool.terminate();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}
