import path from 'node:path';
import { ESLint } from 'eslint';

jest.setTimeout(120_000);

/**
 * The layer rule of eslint.config.mjs, run on real files of the tree with one import added: an import that runs up
 * the layers (or into the workflow's code from the API) is an error, one that runs down is not.
 */
const eslint = new ESLint({ cwd: path.join(__dirname, '..', '..') });

async function layerErrors(file: string, importLine: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${importLine}\nexport const _probe = 1;\n`, { filePath: file });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports')
    .map((m) => m.message);
}

describe('the layer rule', () => {
  it.each([
    ['db/pro-formas.ts', "import { createApp } from '../api/app';", 'db/ may import only domain, infra'],
    ['domain/money.ts', "import { createDb } from '../db/connect';", 'domain/ may import no project folder'],
    ['activities/payments.ts', "import { runService } from '../service/service';", 'activities/ may import only'],
    ['api/app.ts', "import { proFormaWorkflow } from '../workflows/pro-forma';", 'api/ may import only'],
    ['workflows/invoice.ts', "import { createDb } from '../db/connect';", 'workflows/ may take only types'],
  ])('refuses in %s: %s', async (file, importLine, message) => {
    const errors = await layerErrors(file, importLine);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(message);
  });

  it.each([
    ['api/app.ts', "import { createDb } from '../db/connect';"],
    ['activities/payments.ts', "import { DomainError } from '../domain/errors';"],
    ['workflows/invoice.ts', "import type { Database } from '../db/schema';"],
  ])('accepts in %s: %s', async (file, importLine) => {
    expect(await layerErrors(file, importLine)).toEqual([]);
  });
});
