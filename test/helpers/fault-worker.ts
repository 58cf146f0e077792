import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { Client } from '@temporalio/client';
import { createActivities } from '../../activities';
import { paymentRunSettings } from '../../activities/payment-runs';
import { createDb } from '../../db/connect';
import { loadConfig } from '../../infra/config';
import { createMailer } from '../../infra/mailer';
import { FileDocumentStore } from '../../infra/storage';

/**
 * The worker of the pro-formas queue as worker/workers.ts builds it (workflows, the main activities over a
 * db/connect.ts pool, the file mailer), in a process of its own that a fault test kills with SIGKILL. The workflow
 * code comes already bundled by the test (a bundle per start would take seconds on a busy machine). Prints READY
 * once it polls.
 */
async function main(): Promise<void> {
  // As the tests' own workers (test/helpers/quiet-temporal.ts): warnings and errors only.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const env = (name: string): string => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is unset`);
    return value;
  };
  const connection = await NativeConnection.connect({ address: env('TEMPORAL_ADDRESS') });
  const db = await createDb({ kind: 'postgres', url: env('DATABASE_URL'), poolSize: 5 });
  const worker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue: env('TASK_QUEUE'),
    workflowBundle: { codePath: env('WORKFLOW_BUNDLE') },
    activities: createActivities({
      db: db.db,
      mailer: createMailer({ outboxDir: env('OUTBOX_DIR'), from: 'test@opco.example' }),
      // Payment files beside the outbox (no fault test makes a run).
      store: new FileDocumentStore(`${env('OUTBOX_DIR')}-store`),
      client: new Client({ connection, namespace: 'default' }),
      paymentRuns: paymentRunSettings(loadConfig({})),
    }),
    shutdownGraceTime: 1000,
  });
  const running = worker.run();
  process.stdout.write('READY\n');
  await running;
  await db.destroy();
  await connection.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`fault worker failed: ${String(error)}\n`);
  process.exit(1);
});
