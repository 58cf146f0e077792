/**
 * The admin dashboard (`/admin`): the validation desk's figures over a period of Paris days (GET /api/admin/metrics) —
 * key numbers as cards, the time from deposit to decision per day, the decisions per day, the queue's backlog by age,
 * the refusals by reason, the validators' figures — and their exports (Excel: every table; CSV: one table).
 */
import { BarChart, DonutChart, LineChart } from '@mantine/charts';
import {
  Button,
  ColorSwatch,
  Group,
  Menu,
  Paper,
  SimpleGrid,
  Skeleton,
  Stack,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { download, get, withQuery } from '../../api';
import { ErrorMessage, Page } from '../../components/page';
import { count, date } from '../../format';
import { ChartFigure } from './chart-figure';
import { DownloadButton, messageOf, rate, Section, notify } from './common';
import type { Metrics } from './metrics-types';

/** Minutes as people say them: « 45 min », « 2 h 05 », « 3 j 4 h ». */
export function duration(minutes: number | null): string {
  if (minutes === null) return '—';
  if (minutes < 1) return '< 1 min';
  if (minutes < 60) return `${Math.round(minutes)} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ${String(Math.round(minutes % 60)).padStart(2, '0')}`;
  return `${Math.floor(hours / 24)} j ${hours % 24} h`;
}

/** « 1 validation », « 2 validations ». */
const plural = (n: number, one: string, many: string) => `${count(n)} ${n > 1 ? many : one}`;

/** « 2026-11-05 » → « 05/11 » (an axis label). */
const shortDay = (day: string) => `${day.slice(8, 10)}/${day.slice(5, 7)}`;

const CSV_TABLES = [
  { table: 'days', label: 'Par jour' },
  { table: 'validators', label: 'Par valideur' },
  { table: 'validatorDays', label: 'Par jour et valideur' },
  { table: 'refusalsByReason', label: 'Refus par motif' },
  { table: 'refusalsByOrigin', label: 'Refus par origine' },
  { table: 'backlog', label: 'File par ancienneté' },
] as const;

const REASON_COLORS = ['indigo.7', 'red.7', 'orange.7', 'teal.7', 'grape.7', 'cyan.8', 'yellow.8', 'pink.7', 'gray.6'];

function KeyNumber({ label, value, detail }: { label: string; value: string; detail?: string }) {
  return (
    <Paper withBorder p="md" role="group" aria-label={label}>
      <Text size="sm" c="dimmed">
        {label}
      </Text>
      <Text fz={28} fw={700} lh={1.2}>
        {value}
      </Text>
      {detail && (
        <Text size="xs" c="dimmed">
          {detail}
        </Text>
      )}
    </Paper>
  );
}

function KeyNumbers({ m }: { m: Metrics }) {
  const t = m.totals;
  const waiting = m.backlog.reduce((sum, b) => sum + b.count, 0);
  return (
    <section aria-label="Chiffres clés">
      <SimpleGrid cols={{ base: 2, md: 5 }}>
        <KeyNumber
          label="Décisions"
          value={count(t.decided)}
          detail={`${plural(t.approved, 'validation', 'validations')} · ${plural(t.refused, 'refus', 'refus')}`}
        />
        <KeyNumber label="Taux de refus" value={rate(t.refusalRate)} />
        <KeyNumber
          label="Validations automatiques"
          value={rate(t.automaticApprovalShare)}
          detail={`${plural(t.automatic, 'décision automatique', 'décisions automatiques')}, ${plural(
            t.manual,
            'manuelle',
            'manuelles',
          )}`}
        />
        <KeyNumber
          label="Délai médian dépôt → décision"
          value={duration(t.medianMinutes)}
          detail={`90e centile : ${duration(t.p90Minutes)}`}
        />
        <KeyNumber label="Dossiers en attente" value={count(waiting)} detail="dans la file de validation" />
      </SimpleGrid>
    </section>
  );
}

/** The axis of durations in the unit their largest value reads best in: seconds, minutes or hours. */
function durationScale(values: (number | null)[]) {
  const max = Math.max(0, ...values.filter((v): v is number => v !== null));
  const [perMinute, unit] = max >= 120 ? [1 / 60, 'h'] : max >= 2 ? [1, 'min'] : [60, 's'];
  return {
    of: (minutes: number | null) => (minutes === null ? null : minutes * perMinute),
    label: (v: number) => `${count(Math.round(v * 10) / 10)} ${unit}`,
  };
}

function DelaysChart({ m }: { m: Metrics }) {
  const scale = durationScale(m.days.flatMap((d) => [d.medianMinutes, d.p90Minutes]));
  const data = m.days.map((d) => ({
    jour: shortDay(d.day),
    median: scale.of(d.medianMinutes),
    p90: scale.of(d.p90Minutes),
  }));
  return (
    <ChartFigure
      title="Délai de traitement, du dépôt à la décision"
      summary={`Sur la période : médiane ${duration(m.totals.medianMinutes)}, 90e centile ${duration(
        m.totals.p90Minutes,
      )} (${plural(m.totals.timed, 'décision datée', 'décisions datées')}).`}
      table={{
        columns: ['Jour', 'Médiane', '90e centile'],
        rows: m.days.map((d) => [date(d.day), duration(d.medianMinutes), duration(d.p90Minutes)]),
      }}
    >
      <LineChart
        h={240}
        data={data}
        dataKey="jour"
        series={[
          { name: 'median', label: 'Médiane', color: 'indigo.7' },
          { name: 'p90', label: '90e centile', color: 'orange.8' },
        ]}
        valueFormatter={scale.label}
        withLegend
        connectNulls={false}
        accessibilityLayer={false}
      />
    </ChartFigure>
  );
}

function DecisionsChart({ m }: { m: Metrics }) {
  const data = m.days.map((d) => ({ jour: shortDay(d.day), validations: d.approved, refus: d.refused }));
  return (
    <ChartFigure
      title="Décisions par jour"
      summary={`${plural(m.totals.decided, 'décision', 'décisions')} : ${plural(
        m.totals.approved,
        'validation',
        'validations',
      )} et ${plural(m.totals.refused, 'refus', 'refus')}.`}
      table={{
        columns: ['Jour', 'Validations', 'Refus', 'Automatiques', 'Manuelles'],
        rows: m.days.map((d) => [date(d.day), d.approved, d.refused, d.automatic, d.manual]),
      }}
    >
      <BarChart
        h={240}
        data={data}
        dataKey="jour"
        type="stacked"
        series={[
          { name: 'validations', label: 'Validations', color: 'teal.8' },
          { name: 'refus', label: 'Refus', color: 'red.7' },
        ]}
        valueFormatter={(v) => count(v)}
        withLegend
        accessibilityLayer={false}
      />
    </ChartFigure>
  );
}

function BacklogChart({ m }: { m: Metrics }) {
  const waiting = m.backlog.reduce((sum, b) => sum + b.count, 0);
  const old = m.backlog.filter((b) => b.fromDays >= 7).reduce((sum, b) => sum + b.count, 0);
  return (
    <ChartFigure
      title="File d’attente par ancienneté du dépôt"
      summary={`${plural(waiting, 'dossier attend', 'dossiers attendent')} une décision, dont ${count(
        old,
      )} depuis 7 jours ou plus.`}
      table={{ columns: ['Ancienneté', 'Dossiers'], rows: m.backlog.map((b) => [b.label, b.count]) }}
    >
      <BarChart
        h={240}
        data={m.backlog.map((b) => ({ anciennete: b.label, dossiers: b.count }))}
        dataKey="anciennete"
        series={[{ name: 'dossiers', label: 'Dossiers', color: 'indigo.7' }]}
        valueFormatter={(v) => count(v)}
        accessibilityLayer={false}
      />
    </ChartFigure>
  );
}

function RefusalsChart({ m }: { m: Metrics }) {
  const reasons = m.refusalsByReason.map((r, i) => ({
    name: r.label,
    value: r.refused,
    color: REASON_COLORS[i % REASON_COLORS.length] as string,
    origin: r.origin === 'AUTOMATIC' ? 'automatique' : 'manuel',
    share: r.shareOfRefusals,
  }));
  return (
    <ChartFigure
      title="Refus par motif"
      summary={
        reasons.length === 0
          ? 'Aucun refus sur la période.'
          : `${count(m.totals.refused)} refus, ${reasons.length} motif${reasons.length > 1 ? 's' : ''} : ${reasons
              .map((r) => `${r.name} (${count(r.value)})`)
              .join(', ')}.`
      }
      table={{
        columns: ['Motif', 'Origine', 'Refus', 'Part des refus'],
        rows: reasons.map((r) => [r.name, r.origin, r.value, rate(r.share)]),
      }}
    >
      <Group align="center" wrap="wrap" gap="lg">
        <DonutChart
          data={reasons.length > 0 ? reasons : [{ name: 'Aucun refus', value: 1, color: 'gray.3' }]}
          withTooltip={reasons.length > 0}
          tooltipDataSource="segment"
          size={180}
          thickness={28}
          chartLabel={count(m.totals.refused)}
          valueFormatter={(v) => count(v)}
          accessibilityLayer={false}
          // The drawing is hidden from screen readers (they read the table): nothing of it takes the focus.
          pieProps={{ rootTabIndex: -1 }}
        />
        <Stack gap={4} style={{ flex: 1, minWidth: 200 }}>
          {reasons.map((r) => (
            <Group key={`${r.name}-${r.origin}`} gap="xs" wrap="nowrap">
              <ColorSwatch color={`var(--mantine-color-${r.color.replace('.', '-')})`} size={12} />
              <Text size="sm" style={{ flex: 1 }}>
                {r.name}{' '}
                <Text span size="xs" c="dimmed">
                  ({r.origin})
                </Text>
              </Text>
              <Text size="sm" fw={600} className="amount">
                {count(r.value)}
              </Text>
            </Group>
          ))}
        </Stack>
      </Group>
    </ChartFigure>
  );
}

function ValidatorsTable({ m }: { m: Metrics }) {
  return (
    <Section title="Décisions manuelles par valideur">
      <Table.ScrollContainer minWidth={560}>
        <Table striped>
          <Table.Caption className="visually-hidden">Décisions manuelles par valideur</Table.Caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Valideur</Table.Th>
              <Table.Th scope="col" className="amount">
                Décisions
              </Table.Th>
              <Table.Th scope="col" className="amount">
                Validations
              </Table.Th>
              <Table.Th scope="col" className="amount">
                Refus
              </Table.Th>
              <Table.Th scope="col" className="amount">
                Délai médian
              </Table.Th>
              <Table.Th scope="col" className="amount">
                90e centile
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {m.validators.length === 0 && (
              <Table.Tr>
                <Table.Td colSpan={6}>
                  <Text c="dimmed" ta="center" py="sm">
                    Aucune décision manuelle sur la période.
                  </Text>
                </Table.Td>
              </Table.Tr>
            )}
            {m.validators.map((v) => (
              <Table.Tr key={v.userId}>
                <Table.Td>{v.name}</Table.Td>
                <Table.Td className="amount">{count(v.decided)}</Table.Td>
                <Table.Td className="amount">{count(v.approved)}</Table.Td>
                <Table.Td className="amount">{count(v.refused)}</Table.Td>
                <Table.Td className="amount">{duration(v.medianMinutes)}</Table.Td>
                <Table.Td className="amount">{duration(v.p90Minutes)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Section>
  );
}

/** The period's form: two Paris days, shown as the API answered them until the user changes one. */
function PeriodForm({
  period,
  onChange,
}: {
  period: { from: string; to: string } | undefined;
  onChange(period: { from: string; to: string }): void;
}) {
  const [draft, setDraft] = useState<{ from?: string; to?: string }>({});
  const from = draft.from ?? period?.from ?? '';
  const to = draft.to ?? period?.to ?? '';
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    onChange({ from, to });
  };
  return (
    <form onSubmit={submit} aria-label="Période">
      <Group align="flex-end" wrap="wrap" gap="sm">
        <TextInput
          type="date"
          label="Du"
          value={from}
          onChange={(e) => {
            const value = e.currentTarget.value;
            setDraft((d) => ({ ...d, from: value }));
          }}
          w={170}
        />
        <TextInput
          type="date"
          label="Au (inclus)"
          value={to}
          onChange={(e) => {
            const value = e.currentTarget.value;
            setDraft((d) => ({ ...d, to: value }));
          }}
          w={170}
        />
        <Button type="submit" variant="default">
          Afficher la période
        </Button>
      </Group>
    </form>
  );
}

export function AdminDashboardPage() {
  const [asked, setAsked] = useState<{ from?: string; to?: string }>({});
  const query = useQuery({
    queryKey: ['admin', 'metrics', asked],
    queryFn: () => get<Metrics>('/api/admin/metrics', asked),
    placeholderData: keepPreviousData,
  });
  const m = query.data;
  const periodQuery = m ? { from: m.period.from, to: m.period.to } : asked;

  return (
    <Page
      title="Tableau de bord"
      actions={
        <>
          <DownloadButton
            path={withQuery('/api/admin/metrics/export.xlsx', periodQuery)}
            fallbackName="indicateurs.xlsx"
          >
            Exporter (Excel)
          </DownloadButton>
          <Menu position="bottom-end">
            <Menu.Target>
              <Button variant="default">Exporter un tableau (CSV)</Button>
            </Menu.Target>
            <Menu.Dropdown>
              {CSV_TABLES.map(({ table, label }) => (
                <Menu.Item
                  key={table}
                  onClick={() =>
                    download(
                      withQuery('/api/admin/metrics/export.csv', { ...periodQuery, table }),
                      `${table}.csv`,
                    ).catch((error: unknown) => notify('red', 'Export impossible', messageOf(error)))
                  }
                >
                  {label}
                </Menu.Item>
              ))}
            </Menu.Dropdown>
          </Menu>
        </>
      }
    >
      <Group justify="space-between" align="flex-end" wrap="wrap">
        <PeriodForm period={m?.period} onChange={setAsked} />
        {m && (
          <Text size="sm" c="dimmed" aria-live="polite">
            Du {date(m.period.from)} au {date(m.period.to)} inclus (jours de Paris)
            {query.isFetching ? ' · mise à jour…' : ''}
          </Text>
        )}
      </Group>
      <ErrorMessage error={query.error} title="Indicateurs indisponibles" />
      {!m && !query.error && (
        <Stack>
          <SimpleGrid cols={{ base: 2, md: 5 }}>
            {Array.from({ length: 5 }, (_, i) => (
              <Skeleton key={i} h={104} />
            ))}
          </SimpleGrid>
          <SimpleGrid cols={{ base: 1, md: 2 }}>
            {Array.from({ length: 4 }, (_, i) => (
              <Skeleton key={i} h={340} />
            ))}
          </SimpleGrid>
        </Stack>
      )}
      {m && (
        <>
          <KeyNumbers m={m} />
          <SimpleGrid cols={{ base: 1, md: 2 }}>
            <DelaysChart m={m} />
            <DecisionsChart m={m} />
            <BacklogChart m={m} />
            <RefusalsChart m={m} />
          </SimpleGrid>
          <ValidatorsTable m={m} />
        </>
      )}
    </Page>
  );
}
