/**
 * A contract and its schedule (GET /api/contracts/:id): « ai-je déjà facturé ce dossier ? ». Each installment with
 * its nature, period, amount and where it stands (à venir, éligible, in which pro forma — a link to it — or paid).
 */
import { Anchor, Button, Group, Paper, SimpleGrid, Skeleton, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { get } from '../../api';
import { ErrorMessage, Page } from '../../components/page';
import { ListTable, type Column } from '../../components/table';
import { date, money } from '../../format';
import { ContractStatus } from './contracts';
import { Tag, type TagColor } from './tag';
import type { ContractSchedule, ScheduleInstallment } from './types';

const STANDING_COLORS: Record<ScheduleInstallment['standing'], TagColor> = {
  UPCOMING: 'gray',
  ELIGIBLE: 'indigo',
  IN_PRO_FORMA: 'blue',
  PAID: 'teal',
};

/** A pro forma's status, in colours that keep their contrast (components/status.tsx's teal and green fall short). */
const PRO_FORMA_COLORS: Record<string, TagColor> = {
  AWAITING_INVOICE: 'gray',
  UNDER_VALIDATION: 'blue',
  VALIDATED: 'cyan',
  PAID: 'teal',
  REFUSED: 'red',
  CANCELLED: 'gray',
};

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <Text size="xs" fw={700} tt="uppercase" c="dimmed">
        {label}
      </Text>
      <Text component="div">{children}</Text>
    </div>
  );
}

const columns: Column<ScheduleInstallment>[] = [
  { key: 'nature', header: 'Nature de coûts', cell: (i) => i.natureLabel },
  { key: 'period', header: 'Période', cell: (i) => `Du ${date(i.periodStart)} au ${date(i.periodEnd)}` },
  { key: 'amount', header: 'Montant', numeric: true, cell: (i) => money(i.amountCents) },
  {
    key: 'standing',
    header: 'Situation',
    cell: (i) => (
      <Tag color={STANDING_COLORS[i.standing]}>
        {i.standing === 'IN_PRO_FORMA' ? 'Dans une pro forma' : i.standingLabel}
      </Tag>
    ),
  },
  {
    key: 'proForma',
    header: 'Pro forma',
    cell: (i) =>
      i.proForma ? (
        <Group gap="xs" wrap="nowrap">
          <Anchor component={Link} to={`/pro-formas/${i.proForma.number}`} style={{ whiteSpace: 'nowrap' }}>
            {i.proForma.number}
          </Anchor>
          <Tag color={PRO_FORMA_COLORS[i.proForma.status] ?? 'gray'}>{i.proForma.statusLabel}</Tag>
        </Group>
      ) : (
        '—'
      ),
  },
  { key: 'paid', header: 'Payée le', cell: (i) => (i.paidOn ? date(i.paidOn) : '—') },
];

export function ContractDetailPage() {
  const { id = '' } = useParams();
  const schedule = useQuery({
    queryKey: ['contracts', 'detail', id],
    queryFn: () => get<ContractSchedule>(`/api/contracts/${encodeURIComponent(id)}`),
  });
  const contract = schedule.data?.contract;
  const installments = schedule.data?.installments;
  const billed = installments?.filter((i) => i.standing === 'IN_PRO_FORMA' || i.standing === 'PAID').length;

  return (
    <Page
      title={contract ? `Contrat ${contract.number}` : 'Contrat'}
      actions={
        <Button component={Link} to="/contrats" variant="default">
          Retour aux contrats
        </Button>
      }
    >
      <ErrorMessage error={schedule.error} title="Contrat indisponible" />
      {!schedule.error && (
        <Paper withBorder p="md">
          {contract ? (
            <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} spacing="md">
              <Field label="Diplôme préparé">{contract.label}</Field>
              <Field label="Apprenti">{contract.apprenticeName}</Field>
              <Field label="Employeur">
                {contract.employerName} (SIRET {contract.employerSiret})
              </Field>
              <Field label="Durée du contrat">
                Du {date(contract.startDate)} au {date(contract.endDate)}
              </Field>
              <Field label="Statut">
                <ContractStatus status={contract.status} />
              </Field>
            </SimpleGrid>
          ) : (
            <Skeleton height={96} />
          )}
        </Paper>
      )}
      {!schedule.error && (
        <Stack gap="xs">
          <Title order={2} size="h4">
            Échéancier
          </Title>
          {installments && (
            <Text size="sm">
              {installments.length} échéance{installments.length > 1 ? 's' : ''}, dont {billed} facturée
              {billed && billed > 1 ? 's' : ''} ou payée{billed && billed > 1 ? 's' : ''}. Une échéance d’une pro forma
              annulée redevient éligible.
            </Text>
          )}
          <ListTable
            caption="Échéancier du contrat"
            columns={columns}
            rows={installments}
            rowKey={(i) => i.id}
            loading={schedule.isFetching}
            skeletonRows={4}
            empty="Ce contrat n’a aucune échéance."
          />
        </Stack>
      )}
    </Page>
  );
}
