/** What a benchmark run started, stopped in reverse order at the end, also on SIGINT/SIGTERM. */
export function stopOnExit() {
  const stopping: { name: string; stop: () => Promise<unknown> }[] = [];
  async function stopAll(): Promise<void> {
    for (const { name, stop } of stopping.splice(0).reverse()) {
      await stop().catch((error: unknown) => process.stderr.write(`stopping ${name} failed: ${String(error)}\n`));
    }
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void stopAll().finally(() => process.exit(130)));
  }
  return { stopping, stopAll };
}
