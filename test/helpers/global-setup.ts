import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { ensureTemporalCli } from '../../infra/temporal-cli';
import { startDevServer, type DevServer } from '../../infra/temporal-dev-server';
import { PRO_FORMA_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { freePort } from '../../support/ports';
import { bundleTestWorkflows } from './workflow-bundle';

declare global {
  var __TEMPORAL_DEV_SERVER__: DevServer | undefined;
}

/**
 * One headless, in-memory Temporal dev server for the whole run, started from the same CLI as `npm start`
 * (no download: the SDK's default test server comes from the internet). Test files connect to it through
 * TEMPORAL_TEST_ADDRESS and use task queues of their own.
 */
export default async function globalSetup(): Promise<void> {
  const cliPath = await ensureTemporalCli({ configuredPath: process.env.TEMPORAL_CLI || undefined });
  const server = await startDevServer({
    cliPath,
    port: await freePort(),
    namespace: 'default',
    searchAttributes: PRO_FORMA_SEARCH_ATTRIBUTES,
    logger: pino({ level: 'silent' }),
  });
  globalThis.__TEMPORAL_DEV_SERVER__ = server;
  process.env.TEMPORAL_TEST_ADDRESS = server.address;
  process.env.TEMPORAL_CLI = cliPath;
  // The workflow code bundled once for every test file (test/helpers/stack.ts, workflowBundle).
  const { code, sourceMap } = await bundleTestWorkflows();
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'workflow-bundle-')), 'workflows.js');
  fs.writeFileSync(file, code);
  fs.writeFileSync(`${file}.map`, sourceMap);
  process.env.TEST_WORKFLOW_BUNDLE = file;
}
