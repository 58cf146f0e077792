import { NativeConnection, Worker } from '@temporalio/worker';

/**
 * An OCR worker that takes a reading and never finishes it: run in a child process that the test kills with
 * SIGKILL, as a crashed machine would. It prints READING once it holds the activity.
 */
async function main(): Promise<void> {
  const [address, taskQueue] = process.argv.slice(2) as [string, string];
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection,
    taskQueue,
    activities: {
      extractInvoiceFields: async () => {
        process.stdout.write('READING\n');
        return new Promise(() => undefined);
      },
    },
  });
  await worker.run();
}

void main();
