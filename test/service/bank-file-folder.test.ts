import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { receiveBankFile } from '../../api/bank-files';
import { takeBankFiles } from '../../service/bank-file-folder';
import { startApiStack, type ApiStack } from '../helpers/api';

jest.setTimeout(120_000);

const CAMT = `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrDbtCdtNtfctn>
  <GrpHdr><MsgId>CAMT-FOLDER-1</MsgId><CreDtTm>2026-12-04T07:30:00+01:00</CreDtTm></GrpHdr>
  <Ntfctn><Id>N1</Id><Ntry><Amt Ccy="EUR">10.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
    <NtryDtls><TxDtls><Refs><EndToEndId>RUN-19990101-01-0001</EndToEndId></Refs></TxDtls></NtryDtls></Ntry></Ntfctn>
</BkToCstmrDbtCdtNtfctn></Document>`;

/** The watched folder of the bank's answers, on the real stack: taken files applied and moved, refused ones explained. */
describe('the bank file folder', () => {
  let api: ApiStack;
  let dir: string;
  const look = (settleMs = 0) =>
    takeBankFiles({
      dir,
      intervalMs: 1_000,
      settleMs,
      receive: (file) => receiveBankFile(api.deps, file),
      logger: pino({ level: 'silent' }),
    });

  beforeAll(async () => {
    api = await startApiStack();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bank-files-'));
  });
  afterAll(async () => {
    await api.teardown();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('takes a camt.054 as an upload: applied by its workflow, moved to done/', async () => {
    fs.writeFileSync(path.join(dir, 'camt054-1.xml'), CAMT);
    expect(await look()).toEqual({ done: ['camt054-1.xml'], refused: [] });
    expect(fs.readdirSync(path.join(dir, 'done'))).toEqual(['camt054-1.xml']);
    expect(fs.readdirSync(dir).sort()).toEqual(['done']);
    // Stored as received, before anything else.
    expect(await api.store.has(crypto.createHash('sha256').update(CAMT).digest('hex'))).toBe(true);
    const deadline = Date.now() + 20_000;
    let recorded: { file_name: string; source: string; uploaded_by: string | null; reported_count: number } | undefined;
    while (!recorded && Date.now() < deadline) {
      recorded = await api.stack.database.db
        .selectFrom('bank_files')
        .select(['file_name', 'source', 'uploaded_by', 'reported_count'])
        .where('message_id', '=', 'CAMT-FOLDER-1')
        .executeTakeFirst();
      if (!recorded) await new Promise((r) => setTimeout(r, 200));
    }
    expect(recorded).toEqual({ file_name: 'camt054-1.xml', source: 'FOLDER', uploaded_by: null, reported_count: 1 });
    // The same file dropped again is the same bank file: taken, nothing applied twice.
    fs.writeFileSync(path.join(dir, 'camt054-1.xml'), CAMT);
    expect(await look()).toEqual({ done: ['camt054-1.xml'], refused: [] });
    expect(fs.readdirSync(path.join(dir, 'done')).sort()).toEqual(['camt054-1-1.xml', 'camt054-1.xml']);
    const files = await api.stack.database.db.selectFrom('bank_files').select('id').execute();
    expect(files).toHaveLength(1);
  });

  it('refuses a file that does not parse, saying why, and leaves a file still being written', async () => {
    fs.writeFileSync(path.join(dir, 'broken.xml'), '<Document><BkToCstmrDbtCdtNtfctn>');
    expect(await look()).toEqual({ done: [], refused: ['broken.xml'] });
    expect(fs.readdirSync(path.join(dir, 'refused')).sort()).toEqual(['broken.xml', 'broken.xml.txt']);
    expect(fs.readFileSync(path.join(dir, 'refused', 'broken.xml.txt'), 'utf8')).toMatch(/^Fichier bancaire illisible/);

    fs.writeFileSync(path.join(dir, 'fresh.xml'), CAMT);
    expect(await look(60_000)).toEqual({ done: [], refused: [] });
    expect(fs.existsSync(path.join(dir, 'fresh.xml'))).toBe(true);
  });
});
