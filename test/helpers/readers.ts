import { createReaderPool, type ReaderPool } from '../../extraction/readers';

/** Reader processes for a test file, as the OCR worker runs them; close them in afterAll. */
export async function startTestReaders(options: { size?: number; deadlineMs?: number; memoryLimitMb?: number } = {}) {
  const readers: ReaderPool = createReaderPool({
    size: options.size ?? 1,
    deadlineMs: options.deadlineMs ?? 60_000,
    memoryLimitMb: options.memoryLimitMb ?? 1024,
  });
  await readers.warm();
  return readers;
}
