import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { SQLITE_WAL_PRAGMAS, startDevServer, type DevServer } from '../../infra/temporal-dev-server';
import { freePort } from '../../support/ports';
import { isAlive, waitUntil } from './service-process';
import { bumpUpdate, counterWorkflow, finishUpdate } from './sqlite-pragmas-workflow';

/**
 * Is the dev server's file durable with `journal_mode=wal` and `synchronous=normal` (SQLITE_WAL_PRAGMAS)? A server
 * stopped by Ctrl-C (SIGINT) and one killed (SIGKILL) right after an Update completed are started again on the same
 * file: every workflow, every completed Update and every result is there.
 */

const { EventType } = temporal.api.enums.v1;
const TASK_QUEUE = 'sqlite-pragmas';

describe('the dev server with WAL and synchronous=normal', () => {
  let dataDir: string;
  let port: number;
  let server: DevServer | undefined;
  let connection: Connection | undefined;
  let workerConnection: NativeConnection | undefined;
  let worker: { worker: Worker; run: Promise<void> } | undefined;

  const start = async () => {
    server = await startDevServer({
      cliPath: process.env.TEMPORAL_CLI as string,
      port,
      dbFile: path.join(dataDir, 'temporal.sqlite'),
      namespace: 'default',
      searchAttributes: [],
      logger: pino({ level: 'silent' }),
      extraArgs: SQLITE_WAL_PRAGMAS,
    });
    connection = await Connection.connect({ address: server.address });
    return new Client({ connection });
  };
  const signalServer = async (name: 'SIGINT' | 'SIGKILL') => {
    const pid = (server as DevServer).pid;
    process.kill(pid, name);
    await waitUntil(() => !isAlive(pid), 20_000, `the dev server stopped on ${name}`);
    await (server as DevServer).stop();
    server = undefined;
    await connection?.close();
    connection = undefined;
  };
  const updatesCompleted = async (client: Client, id: string) =>
    ((await client.workflow.getHandle(id).fetchHistory()).events ?? [])
      .filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED)
      .map((e) => e.workflowExecutionUpdateCompletedEventAttributes?.meta?.updateId);

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlite-pragmas-'));
    port = await freePort();
  });
  afterAll(async () => {
    if (worker) {
      worker.worker.shutdown();
      await worker.run;
    }
    await workerConnection?.close();
    await connection?.close();
    await server?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps every history across a Ctrl-C, and a completed Update across a SIGKILL', async () => {
    let client = await start();
    // The worker stays connected to the port across the restarts: the SDK reconnects by itself.
    workerConnection = await NativeConnection.connect({ address: `127.0.0.1:${port}` });
    const w = await Worker.create({
      connection: workerConnection,
      taskQueue: TASK_QUEUE,
      workflowsPath: require.resolve('./sqlite-pragmas-workflow'),
    });
    worker = { worker: w, run: w.run() };

    const ids = Array.from({ length: 6 }, (_, i) => `counter-${i}`);
    for (const id of ids) {
      const handle = await client.workflow.start(counterWorkflow, { taskQueue: TASK_QUEUE, workflowId: id });
      await handle.executeUpdate(bumpUpdate, { updateId: `${id}-bump-1` });
    }
    // The pragma took: SQLite writes a write-ahead log beside the file.
    expect(fs.existsSync(path.join(dataDir, 'temporal.sqlite-wal'))).toBe(true);
    // Half of them complete.
    for (const id of ids.slice(0, 3)) await client.workflow.getHandle(id).executeUpdate(finishUpdate);

    await signalServer('SIGINT');
    client = await start();
    for (const [i, id] of ids.entries()) {
      const description = await client.workflow.getHandle(id).describe();
      expect(description.status.name).toBe(i < 3 ? 'COMPLETED' : 'RUNNING');
      expect(await updatesCompleted(client, id)).toContain(`${id}-bump-1`);
    }
    expect(await client.workflow.getHandle(ids[0] as string).result()).toBe(1);

    // A workflow completed, then an Update answered and the server killed at once: nothing gets to checkpoint.
    const last = ids[5] as string;
    expect(await client.workflow.getHandle(last).executeUpdate(finishUpdate)).toBe(1);
    const target = ids[4] as string;
    const bumped = await client.workflow.getHandle(target).executeUpdate(bumpUpdate, { updateId: `${target}-bump-2` });
    await signalServer('SIGKILL');
    expect(bumped).toBe(2);
    client = await start();
    expect(await updatesCompleted(client, target)).toEqual([`${target}-bump-1`, `${target}-bump-2`]);
    expect((await client.workflow.getHandle(last).describe()).status.name).toBe('COMPLETED');
    expect(await client.workflow.getHandle(last).result()).toBe(1);
  });
});
