/**
 * The CFA a user of several CFAs acts for, on the pages whose API needs it (eligible installments and generation,
 * « Mon CFA »): chosen in a list kept in the address (`?cfa=<id>`), the first by default. A user of one CFA sees no
 * list and sends nothing (the API takes its CFA).
 */
import { NativeSelect } from '@mantine/core';
import type { ReactNode } from 'react';
import { useSearchParams } from 'react-router';
import { useSession } from '../../session';

export function useActingCfa(): { cfaId: string | undefined; chooser: ReactNode } {
  const { user } = useSession();
  const [params, setParams] = useSearchParams();
  const cfas = user?.cfas ?? [];
  if (cfas.length < 2) return { cfaId: undefined, chooser: null };
  const asked = params.get('cfa');
  const cfaId = cfas.some((c) => c.id === asked) ? (asked as string) : cfas[0]?.id;
  const chooser = (
    <NativeSelect
      label="CFA"
      data={cfas.map((c) => ({ value: c.id, label: `${c.name} (SIRET ${c.siret})` }))}
      value={cfaId}
      onChange={(e) => {
        const next = new URLSearchParams(params);
        next.set('cfa', e.currentTarget.value);
        setParams(next, { replace: true });
      }}
      maw={480}
    />
  );
  return { cfaId, chooser };
}
