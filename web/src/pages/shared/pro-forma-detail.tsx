import { Anchor, Button, Group, Loader, Paper, Skeleton, Stack, Text } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { ApiError, get } from '../../api';
import { DownloadButton } from '../../components/download-button';
import { ErrorMessage, Page } from '../../components/page';
import { StatusBadge } from '../../components/status';
import { date, dateTime, money } from '../../format';
import { useSession } from '../../session';
import { CancelModal, contractsPath, pdfPath, useAbilities } from './actions';
import { DepositZone } from './deposit-zone';
import {
  DocumentsSection,
  Facts,
  HistorySection,
  LinesSection,
  PaymentSection,
  ReadingSection,
} from './detail-sections';
import { KIND_LABELS, PROCESSING_STAGES, SETTLEMENT_LABELS, STAGE_LABELS } from './labels';
import { RefusalPanel } from './refusal-panel';
import type { ProFormaDetail } from './types';

/**
 * One pro forma (`/pro-formas/:number`), for a CFA and for the staff: where it stands, its lines, its deposited
 * versions, what was read and controlled, the refusal and its two ways out, the payment, the history. A CFA deposits
 * here; after a deposit the page follows the reading and the controls (it asks again every 1.5 s until they end).
 * The staff get links to the validation desk and to the workflow in Temporal UI.
 */

const FOLLOW_EVERY_MS = 1500;

/** Whether the service is still at work on it (the reading, the controls, a refusal an instant from recorded). */
function inProgress(pf: ProFormaDetail | undefined): boolean {
  if (!pf) return false;
  return (pf.stage !== null && PROCESSING_STAGES.includes(pf.stage)) || (pf.status === 'REFUSED' && !pf.refusal);
}

/**
 * The workflow's id: `pro-forma-<number>` (workflows/pro-forma.messages.ts proFormaWorkflowId; the server's code is
 * not bundled into the pages, so the scheme is repeated here).
 */
const workflowIdOf = (number: string) => `pro-forma-${number}`;

export function ProFormaDetailPage() {
  const { number = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const client = useQueryClient();
  const { user, session, can } = useSession();
  const staff = user?.role !== 'cfa';

  const query = useQuery({
    queryKey: ['pro-forma', number],
    queryFn: () => get<ProFormaDetail>(`/api/pro-formas/${number}`),
    refetchInterval: (q) => (inProgress(q.state.data) ? FOLLOW_EVERY_MS : false),
  });
  const pf = query.data;
  const abilities = useAbilities(pf);
  const [redepositing, setRedepositing] = useState(params.get('depot') === '1');
  const [cancelling, setCancelling] = useState(false);

  if (query.error) {
    const missing = query.error instanceof ApiError && query.error.status === 404;
    return (
      <Page title={missing ? 'Pro forma introuvable' : `Pro forma ${number}`}>
        <ErrorMessage error={query.error} title={missing ? 'Introuvable' : 'La pro forma n’a pas pu être chargée'} />
        <Anchor component={Link} to="/pro-formas">
          Retour à la liste des pro formas
        </Anchor>
      </Page>
    );
  }
  if (!pf) {
    return (
      <Page title={`Pro forma ${number}`}>
        <Skeleton height={140} />
        <Skeleton height={240} />
      </Page>
    );
  }

  const processing = inProgress(pf);
  const openRedeposit = () => {
    setRedepositing(true);
    requestAnimationFrame(() => document.getElementById('depot')?.scrollIntoView({ block: 'start' }));
  };
  const closeRedeposit = () => {
    setRedepositing(false);
    if (params.has('depot')) {
      const copy = new URLSearchParams(params);
      copy.delete('depot');
      setParams(copy, { replace: true });
    }
  };
  const deposited = async (detail: ProFormaDetail) => {
    client.setQueryData(['pro-forma', number], detail);
    closeRedeposit();
    await client.invalidateQueries({ queryKey: ['pro-formas'] });
  };
  // A first deposit is the next step: its zone is open; a new version is asked for (« Modifier ma facture »).
  const showDeposit = !processing && (abilities.deposit || (abilities.redeposit && redepositing));

  const temporalUrl =
    staff && session?.temporalUiUrl
      ? `${session.temporalUiUrl}/namespaces/${encodeURIComponent(session.temporalNamespace)}/workflows/${encodeURIComponent(workflowIdOf(pf.number))}`
      : null;

  return (
    <Page
      title={`Pro forma ${pf.number}`}
      actions={
        <Group gap="xs" wrap="wrap">
          <DownloadButton path={pdfPath(pf.number)} fallbackName={`${pf.number}.pdf`}>
            Télécharger la pro forma (PDF)
          </DownloadButton>
          {abilities.exportContracts && (
            <DownloadButton path={contractsPath(pf.number)} fallbackName={`contrats-${pf.number}.xlsx`}>
              Exporter les contrats
            </DownloadButton>
          )}
          {abilities.redeposit && pf.status !== 'REFUSED' && !redepositing && !processing && (
            <Button variant="default" onClick={openRedeposit}>
              Modifier ma facture
            </Button>
          )}
          {abilities.cancel && pf.status !== 'REFUSED' && (
            <Button color="red" variant="outline" onClick={() => setCancelling(true)}>
              Annuler la pro forma
            </Button>
          )}
          {can('validation-queue:read') && pf.status === 'UNDER_VALIDATION' && (
            <Button component={Link} to={`/validation/${pf.number}`} variant="light">
              Ouvrir dans la validation
            </Button>
          )}
          {temporalUrl && (
            <Button component="a" href={temporalUrl} target="_blank" rel="noopener noreferrer" variant="subtle">
              Workflow dans Temporal UI
            </Button>
          )}
        </Group>
      }
    >
      <Anchor component={Link} to="/pro-formas" size="sm">
        ← {staff ? 'Toutes les pro formas' : 'Mes factures/factures d’avoir pro formas'}
      </Anchor>
      <Summary pf={pf} showCfa={staff || (user?.cfas.length ?? 0) > 1} />
      {pf.status === 'REFUSED' && (
        <RefusalPanel pf={pf} abilities={abilities} onRedeposit={openRedeposit} onCancel={() => setCancelling(true)} />
      )}
      {showDeposit && (
        <DepositZone
          pf={pf}
          newVersion={pf.documents.length > 0}
          onDeposited={deposited}
          onClose={abilities.redeposit ? closeRedeposit : undefined}
          scrollIntoView={params.get('depot') === '1'}
        />
      )}
      <PaymentSection pf={pf} />
      <ReadingSection pf={pf} />
      <LinesSection pf={pf} />
      <DocumentsSection pf={pf} />
      <HistorySection pf={pf} />
      <CancelModal number={pf.number} opened={cancelling} onClose={() => setCancelling(false)} />
    </Page>
  );
}

/** The header: the status (a live region: the page follows it), what it is, how much, its dates. */
function Summary({ pf, showCfa }: { pf: ProFormaDetail; showCfa: boolean }) {
  const processing = pf.stage !== null && PROCESSING_STAGES.includes(pf.stage);
  const dates: [string, string | null][] = [
    ['Générée le', pf.createdAt],
    ['Facture déposée le', pf.depositedAt],
    ['Validée le', pf.validatedAt],
    ['Refusée le', pf.refusedAt],
    ['Payée le', pf.paidAt],
    ['Annulée le', pf.cancelledAt],
  ];
  return (
    <Paper withBorder p="md">
      <Stack gap="md">
        <Group gap="sm" wrap="wrap" role="status" aria-live="polite" aria-label="Statut de la pro forma">
          <Text fw={600}>Statut :</Text>
          <StatusBadge status={pf.status} label={pf.statusLabel} />
          {pf.stage && pf.status !== 'PAID' && pf.status !== 'CANCELLED' && (
            <Group gap={6}>
              {processing && <Loader size="xs" aria-hidden />}
              <Text size="sm">{STAGE_LABELS[pf.stage]}</Text>
            </Group>
          )}
        </Group>
        <Facts
          items={[
            ['Type', KIND_LABELS[pf.kind]],
            ['Nature de coûts', pf.natureLabel],
            ['Montant total', <span className="amount">{money(pf.totalCents)}</span>],
            ...(showCfa ? [['CFA', `${pf.cfa.name} (SIRET ${pf.cfa.siret})`] as [string, string]] : []),
            ['Numéro de facture', pf.invoiceNumber ?? '—'],
            ...(pf.settlementMode
              ? [['Mode de règlement de l’avoir', SETTLEMENT_LABELS[pf.settlementMode]] as [string, string]]
              : []),
            ...dates
              .filter(([, value]) => value !== null)
              .map(([label, value]): [string, string] => [
                label,
                label === 'Générée le' ? date(value) : dateTime(value),
              ]),
          ]}
          cols={4}
        />
      </Stack>
    </Paper>
  );
}
