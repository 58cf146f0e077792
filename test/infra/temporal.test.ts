import crypto from 'node:crypto';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { registerSearchAttributes } from '../../infra/temporal';
import { PRO_FORMA_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { testTemporalAddress } from '../helpers/temporal';

describe('registerSearchAttributes', () => {
  let connection: Connection;
  const namespace = `ns-${crypto.randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    connection = await Connection.connect({ address: testTemporalAddress() });
    // A namespace created after the server started has none of our attributes, like an existing cluster.
    await connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
  });
  afterAll(() => connection.close());

  it('adds the six attributes to a namespace that lacks them, then adds nothing on the next start', async () => {
    const first = await registerSearchAttributes(connection, namespace, PRO_FORMA_SEARCH_ATTRIBUTES);
    expect(first.added.sort()).toEqual(
      ['CfaSiret', 'CostNature', 'InvoiceNumber', 'ProFormaNumber', 'ProFormaStatus', 'TotalCents'].sort(),
    );
    const second = await registerSearchAttributes(connection, namespace, PRO_FORMA_SEARCH_ATTRIBUTES);
    expect(second.added).toEqual([]);

    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    expect(Object.keys(customAttributes ?? {})).toEqual(
      expect.arrayContaining(PRO_FORMA_SEARCH_ATTRIBUTES.map((k) => k.name)),
    );
  });

  it('refuses an attribute that exists with another type instead of silently using it', async () => {
    await expect(
      registerSearchAttributes(connection, namespace, [{ name: 'TotalCents', type: 'KEYWORD' }]),
    ).rejects.toThrow(/TotalCents exists .* with another type/);
  });
});
