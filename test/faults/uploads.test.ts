import crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import request from 'supertest';
import { createApp } from '../../api/app';
import { createDb, type Db } from '../../db/connect';
import { TEST_IBAN } from '../helpers/fixtures';
import { invoicePdf } from '../helpers/invoices';
import { programReadings, seedInstallments, startApiStack, type ApiStack } from '../helpers/api';
import { perfectReading } from '../helpers/stack';
import { inspectStore, multipartBody, sha256, upload, type RawAnswer } from '../helpers/upload-faults';

const COUNT = 200;

/** Runs `fn` over `items`, `width` at a time. */
async function inBatches<T, R>(items: readonly T[], width: number, fn: (item: T, index: number) => Promise<R>) {
  const results: R[] = [];
  for (let at = 0; at < items.length; at += width) {
    results.push(...(await Promise.all(items.slice(at, at + width).map((item, i) => fn(item, at + i)))));
  }
  return results;
}

/**
 * 200 invoices deposited at once, one on each of 200 pro formas, through the real HTTP server: every answer is a
 * 202, every file is stored once, and every workflow moves on to where its reading leads.
 */
describe('200 concurrent uploads on 200 pro formas', () => {
  jest.setTimeout(240_000);
  let api: ApiStack;
  let apiDb: Db;
  let server: Server;
  let baseUrl: string;

  beforeAll(async () => {
    // The limiter allows UPLOAD_RATE_LIMIT uploads per token and window (30 a minute by default, beyond: 429
    // RATE_LIMITED): one CFA user deposits the 200 here, so the test raises it; the 429 has tests of its own.
    // A deposit's answer waits for the workflow to record it; a burst of 200 on two busy cores takes longer than the
    // default TEMPORAL_CALL_TIMEOUT (10 s, beyond: 503), hence a longer deadline (and the retry below).
    api = await startApiStack({ env: { UPLOAD_RATE_LIMIT: String(COUNT), TEMPORAL_CALL_TIMEOUT: '60s' } });
    // The API with a pool of its own, as in production (an API process and a worker process, each with its pool).
    apiDb = await createDb({ kind: 'postgres', url: api.stack.database.url, poolSize: 10 });
    const app = createApp({ logger: api.deps.logger, readiness: {}, api: { ...api.deps, db: apiDb.db } });
    server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    if (server) await new Promise((resolve) => server.close(resolve));
    await apiDb?.destroy();
    await api?.teardown();
  });

  it('answers 202 to each, stores each file once, and every workflow leaves READING for where its reading leads', async () => {
    const startedAt = Date.now();
    const amounts = Array.from({ length: COUNT }, (_, i) => 100_000 + i * 100 + crypto.randomInt(1, 99));
    // One contract per pro forma (a contract has one installment per nature and period).
    const proFormas = await inBatches(amounts, 10, async (amountCents) => {
      const [installmentId] = (await seedInstallments(api, api.cfa.id, [amountCents])).installmentIds;
      const res = await request(api.app)
        .post('/api/pro-formas')
        .set('Authorization', `Bearer ${api.users.cfa.token}`)
        .send({ nature: 'PEDAGOGIE', installmentIds: [installmentId] });
      if (res.status !== 201) throw new Error(`generation: ${res.status} ${JSON.stringify(res.body)}`);
      return { number: res.body.proFormas[0].number as string, totalCents: amountCents };
    });
    expect(new Set(proFormas.map((p) => p.number)).size).toBe(COUNT);
    const generatedMs = Date.now() - startedAt;

    // One invoice per pro forma; one in four states a wrong total, which the controls refuse on their own.
    const readings = programReadings(api);
    const scenario = { cfa: api.cfa, installments: [] };
    const deposits = proFormas.map((proForma, i) => {
      const wrongTotal = i % 4 === 3;
      const invoiceNumber = `FA-${crypto.randomBytes(5).toString('hex')}`;
      const totalCents = wrongTotal ? proForma.totalCents + 1_000 : proForma.totalCents;
      const pdf = invoicePdf({
        proFormaNumber: proForma.number,
        invoiceNumber,
        totalCents,
        siret: api.cfa.siret,
        iban: TEST_IBAN,
      });
      const digest = sha256(pdf);
      readings.set(
        digest,
        perfectReading(proForma.number, proForma.totalCents, scenario, { invoiceNumber, totalCents }),
      );
      return { ...proForma, pdf, sha256: digest, expected: wrongTotal ? 'REFUSED' : 'AWAITING_DECISION' };
    });
    expect(new Set(deposits.map((d) => d.sha256)).size).toBe(COUNT);

    // All at once: 200 connections, 200 multipart bodies, each with its Idempotency-Key. A 503 TEMPORAL_UNAVAILABLE
    // (the deadline passed on a busy machine: the deposit may have been applied all the same) is retried with the same
    // key, as a client is told to; anything else than 202 or that 503 fails the test.
    const uploadedAt = Date.now();
    const send = (d: (typeof deposits)[number]) =>
      upload(
        {
          url: `${baseUrl}/api/pro-formas/${d.number}/invoice`,
          token: api.users.cfa.token,
          idempotencyKey: `burst-${d.number}`,
        },
        multipartBody(`facture-${d.number}.pdf`, d.pdf),
      );
    let answers: RawAnswer[] = await Promise.all(deposits.map(send));
    const firstCodes = answers.map((a) =>
      a.status === 503 ? `503 ${String((a.body.error as { code?: string })?.code)}` : String(a.status),
    );
    expect(firstCodes.filter((c) => c !== '202' && c !== '503 TEMPORAL_UNAVAILABLE')).toEqual([]);
    let retries = 0;
    for (let round = 0; round < 3 && answers.some((a) => a.status === 503); round++) {
      answers = await Promise.all(
        answers.map((a, i) => {
          if (a.status !== 503) return a;
          retries++;
          return send(deposits[i] as (typeof deposits)[number]);
        }),
      );
    }
    const uploadMs = Date.now() - uploadedAt;
    const unexpected = answers.flatMap((a, i) =>
      a.status === 202 ? [] : [`${deposits[i]?.number}: ${a.status} ${JSON.stringify(a.body)}`],
    );
    expect(unexpected).toEqual([]);
    expect(answers.map((a) => a.status)).toEqual(Array(COUNT).fill(202));
    answers.forEach((answer, i) => {
      const d = deposits[i];
      expect(answer.body).toMatchObject({ number: d?.number, status: 'UNDER_VALIDATION' });
      expect(answer.body.documents).toEqual([expect.objectContaining({ version: 1, sha256: d?.sha256 })]);
    });

    // Every workflow moves on: none is left reading or controlling.
    const db = api.stack.database.db;
    const numbers = deposits.map((d) => d.number);
    const deadline = Date.now() + 150_000;
    let states: { number: string; status: string; stage: string | null }[] = [];
    for (;;) {
      states = await db
        .selectFrom('pro_formas')
        .select(['number', 'status', 'stage'])
        .where('number', 'in', numbers)
        .execute();
      const moving = states.filter((s) => s.status === 'UNDER_VALIDATION' && s.stage !== 'AWAITING_DECISION');
      if (states.length === COUNT && moving.length === 0) break;
      if (Date.now() > deadline)
        throw new Error(`still moving: ${JSON.stringify(moving.slice(0, 5))} (${moving.length})`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const settledMs = Date.now() - uploadedAt;
    const where = new Map(states.map((s) => [s.number, s.status === 'REFUSED' ? 'REFUSED' : `${s.status}/${s.stage}`]));
    const expected = new Map(
      deposits.map((d) => [d.number, d.expected === 'REFUSED' ? 'REFUSED' : 'UNDER_VALIDATION/AWAITING_DECISION']),
    );
    expect(where).toEqual(expected);
    expect([...where.values()].filter((w) => w === 'REFUSED')).toHaveLength(COUNT / 4);

    // One document per pro forma, with its own file; one DEPOSIT audit row each.
    const documents = await db
      .selectFrom('documents as d')
      .innerJoin('pro_formas as p', 'p.id', 'd.pro_forma_id')
      .select(['p.number', 'd.version', 'd.sha256'])
      .where('p.number', 'in', numbers)
      .execute();
    expect(documents).toHaveLength(COUNT);
    expect(new Map(documents.map((d) => [d.number, `${d.version}:${d.sha256}`]))).toEqual(
      new Map(deposits.map((d) => [d.number, `1:${d.sha256}`])),
    );
    const depositsAudited = await db
      .selectFrom('audit_events as a')
      .innerJoin('pro_formas as p', 'p.id', 'a.pro_forma_id')
      .select('p.number')
      .where('p.number', 'in', numbers)
      .where('a.action', 'in', ['DEPOSIT', 'REDEPOSIT'])
      .execute();
    expect(depositsAudited.map((a) => a.number).sort()).toEqual([...numbers].sort());
    expect(await db.selectFrom('deposits_in_flight').select('sha256').execute()).toEqual([]);
    const keys = await db.selectFrom('idempotency_keys').select('key').where('action', '=', 'deposit').execute();
    expect(keys.map((k) => k.key).sort()).toEqual(numbers.map((n) => `burst-${n}`).sort());

    // The store holds each file once, complete, and nothing else.
    const store = inspectStore(api.storeDir);
    expect(store.defects).toEqual([]);
    expect(store.files).toEqual(deposits.map((d) => `${d.sha256.slice(0, 2)}/${d.sha256}`).sort());

    process.stdout.write(
      `200 uploads: generation ${generatedMs} ms, answers ${uploadMs} ms (${retries} retried after a 503), all settled ${settledMs} ms after the upload\n`,
    );
  });
});
