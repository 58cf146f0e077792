import path from 'node:path';
import { createChildPool } from '../../infra/child-pool';
import type { TestTasks } from './child-tasks';

/** A parent with two busy children, for the test that kills it with SIGKILL: prints the children's pids. */
async function main() {
  const pool = createChildPool<TestTasks>({
    script: path.join(__dirname, 'child-tasks.ts'),
    size: 2,
    deadlineMs: 600_000,
    memoryLimitMb: 512,
  });
  const pids = await Promise.all([pool.run('pid', undefined as never), pool.run('pid', undefined as never)]);
  process.stdout.write(`${JSON.stringify(pids.map((p) => p.value))}\n`);
  void pool.run('spin', undefined as never);
  void pool.run('spin', undefined as never);
}

void main();
