import os from 'node:os';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';

/**
 * The bare workflow's worker (bench/bare-workflow.ts), a process of its own as the service's worker is: both task
 * queues (workflows and activities on the first, the "reading" activity on the second), activities that do nothing.
 * Environment: TEMPORAL_ADDRESS, BARE_QUEUE, BARE_OCR_QUEUE. Stops on SIGTERM/SIGINT.
 */

Runtime.install({ logger: new DefaultLogger('WARN') });

async function main(): Promise<void> {
  const connection = await NativeConnection.connect({ address: process.env['TEMPORAL_ADDRESS'] as string });
  const activities = { noop: async () => undefined };
  const workers = [
    await Worker.create({
      connection,
      taskQueue: process.env['BARE_QUEUE'] as string,
      workflowsPath: require.resolve('./bare-workflow'),
      activities,
    }),
    await Worker.create({
      connection,
      taskQueue: process.env['BARE_OCR_QUEUE'] as string,
      activities,
      // As the service's OCR worker: one reading per core at a time.
      maxConcurrentActivityTaskExecutions: Math.max(1, os.availableParallelism()),
    }),
  ];
  const stop = () => workers.forEach((w) => w.getState() === 'RUNNING' && w.shutdown());
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await Promise.all(workers.map((w) => w.run()));
  await connection.close();
}

void main();
