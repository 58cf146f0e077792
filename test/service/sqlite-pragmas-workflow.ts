import { condition, defineUpdate, setHandler } from '@temporalio/workflow';

/** The workflow of test/service/sqlite-pragmas.test.ts: a counter bumped by an Update, finished by another. */
export const bumpUpdate = defineUpdate<number>('bump');
export const finishUpdate = defineUpdate<number>('finish');

export async function counterWorkflow(): Promise<number> {
  let count = 0;
  let finished = false;
  setHandler(bumpUpdate, () => ++count);
  setHandler(finishUpdate, () => {
    finished = true;
    return count;
  });
  await condition(() => finished);
  return count;
}
