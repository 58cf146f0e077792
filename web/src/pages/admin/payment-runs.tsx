/**
 * Payments (`/admin/paiements`): the schedule of the payment runs (paused or not, next and last runs; paused with a
 * reason, resumed), « Lancer une campagne » (a run now: 201 opens the run, 202 says it goes on and the list follows
 * it), the runs, and the bank's answers: a camt.054 or pain.002 uploaded with its progress (its report line by line,
 * a refused file's reason in words) and the files received.
 */
import {
  Alert,
  Anchor,
  Button,
  Group,
  List,
  Modal,
  NativeSelect,
  Progress,
  SimpleGrid,
  Skeleton,
  Stack,
  Text,
  Textarea,
} from '@mantine/core';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import type { z } from 'zod';
import type {
  bankFileListResponse,
  bankFileResponse,
  paymentRunListResponse,
  paymentRunScheduleResponse,
  paymentRunStartedResponse,
} from '../../../../api/schemas/payment-runs';
import { get, post, upload } from '../../api';
import { ErrorMessage, Page } from '../../components/page';
import { ListPagination, ListTable, type Column } from '../../components/table';
import { count, date, dateTime, money } from '../../format';
import { useSession } from '../../session';
import { BankFileLines, BANK_FILE_KINDS } from './bank-file';
import { Section, UploadZone, notify, Tag } from './common';

type Schedule = z.output<typeof paymentRunScheduleResponse>;
type RunList = z.output<typeof paymentRunListResponse>;
type Run = RunList['items'][number];
type Started = z.output<typeof paymentRunStartedResponse>;
type BankFileList = z.output<typeof bankFileListResponse>;
type BankFile = BankFileList['items'][number];
type BankFileReport = z.output<typeof bankFileResponse>;

export const TRIGGER_LABELS: Record<string, string> = { SCHEDULE: 'Planifiée', MANUAL: 'Lancée à la main' };
export const GROUPING_LABELS: Record<string, string> = {
  PER_CFA: 'Un virement par CFA',
  PER_INVOICE: 'Un virement par facture',
};

const PAGE_SIZE = 20;

/** A workflow (or the schedule) in Temporal UI, when the service knows its address. */
function useTemporalLink() {
  const { session } = useSession();
  if (!session?.temporalUiUrl) return null;
  const base = `${session.temporalUiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(session.temporalNamespace)}`;
  return {
    schedule: (id: string) => `${base}/schedules/${encodeURIComponent(id)}`,
    workflow: (id: string) => `${base}/workflows/${encodeURIComponent(id)}`,
  };
}

function PauseModal({ opened, onClose }: { opened: boolean; onClose(): void }) {
  const client = useQueryClient();
  const pause = useMutation({
    mutationFn: (reason: string) => post<Schedule>('/api/admin/payment-runs/schedule/pause', { reason }),
    onSuccess: (schedule) => {
      client.setQueryData(['admin', 'payment-runs', 'schedule'], schedule);
      notify('orange', 'Planification suspendue', schedule.note ?? '');
      onClose();
    },
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    pause.mutate(String(new FormData(event.currentTarget).get('reason') ?? '').trim());
  };
  return (
    <Modal opened={opened} onClose={onClose} title="Suspendre la planification">
      <form onSubmit={submit}>
        <Stack>
          <Text size="sm">
            Les campagnes planifiées ne partent plus jusqu’à la reprise ; une campagne lancée à la main reste possible.
          </Text>
          <Textarea
            name="reason"
            label="Motif de la suspension"
            required
            minLength={3}
            maxLength={200}
            autosize
            minRows={2}
            data-autofocus
          />
          <ErrorMessage error={pause.error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Annuler
            </Button>
            <Button type="submit" color="orange" loading={pause.isPending}>
              Suspendre
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

function ScheduleSection() {
  const { can } = useSession();
  const client = useQueryClient();
  const temporal = useTemporalLink();
  const [pausing, setPausing] = useState(false);
  const schedule = useQuery({
    queryKey: ['admin', 'payment-runs', 'schedule'],
    queryFn: () => get<Schedule>('/api/admin/payment-runs/schedule'),
    retry: false,
  });
  const resume = useMutation({
    mutationFn: () => post<Schedule>('/api/admin/payment-runs/schedule/resume'),
    onSuccess: (s) => {
      client.setQueryData(['admin', 'payment-runs', 'schedule'], s);
      notify('teal', 'Planification reprise', 'Les campagnes planifiées repartent.');
    },
  });
  const s = schedule.data;
  const manage = can('payment-runs:manage');
  return (
    <Section
      title="Planification"
      actions={
        s &&
        manage &&
        (s.paused ? (
          <Button variant="default" onClick={() => resume.mutate()} loading={resume.isPending}>
            Reprendre la planification
          </Button>
        ) : (
          <Button variant="default" color="orange" onClick={() => setPausing(true)}>
            Suspendre la planification
          </Button>
        ))
      }
    >
      <ErrorMessage error={schedule.error} title="Planification indisponible" />
      <ErrorMessage error={resume.error} />
      {schedule.isPending && <Skeleton h={72} />}
      {s && (
        <SimpleGrid cols={{ base: 1, md: 3 }}>
          <Stack gap={4}>
            <Group gap="xs">
              <Text size="sm" fw={600}>
                État
              </Text>
              <Tag color={s.paused ? 'orange' : 'teal'}>{s.paused ? 'Suspendue' : 'Active'}</Tag>
            </Group>
            {s.note && <Text size="sm">{s.note}</Text>}
            <Text size="xs" c="dimmed">
              {s.cron
                ? `Règle cron configurée : ${s.cron} (${s.timezone ?? 'Europe/Paris'})`
                : 'Aucune règle : campagnes à la main'}
            </Text>
            {temporal && (
              <Anchor href={temporal.schedule(s.scheduleId)} target="_blank" rel="noreferrer" size="sm">
                Voir la planification dans Temporal UI
              </Anchor>
            )}
          </Stack>
          <Stack gap={4}>
            <Text size="sm" fw={600}>
              Prochains lancements
            </Text>
            {s.paused || s.nextRunsAt.length === 0 ? (
              <Text size="sm">Aucun tant que la planification est suspendue.</Text>
            ) : (
              <List size="sm">
                {s.nextRunsAt.map((at) => (
                  <List.Item key={at}>{dateTime(at)}</List.Item>
                ))}
              </List>
            )}
          </Stack>
          <Stack gap={4}>
            <Text size="sm" fw={600}>
              Derniers lancements planifiés
            </Text>
            {s.recentRuns.length === 0 ? (
              <Text size="sm">Aucun.</Text>
            ) : (
              <List size="sm">
                {s.recentRuns.map((r) => (
                  <List.Item key={r.workflowId}>
                    {temporal ? (
                      <Anchor href={temporal.workflow(r.workflowId)} target="_blank" rel="noreferrer" size="sm">
                        {dateTime(r.scheduledAt)}
                      </Anchor>
                    ) : (
                      dateTime(r.scheduledAt)
                    )}
                  </List.Item>
                ))}
              </List>
            )}
          </Stack>
        </SimpleGrid>
      )}
      <PauseModal opened={pausing} onClose={() => setPausing(false)} />
    </Section>
  );
}

/** « Lancer une campagne »: asks for the grouping, shows the run going on, then opens it (or says it goes on). */
function StartRunModal({
  opened,
  onClose,
  onGoingOn,
}: {
  opened: boolean;
  onClose(): void;
  /** The run lasts more than the API waits (202): it goes on in Temporal. */
  onGoingOn(): void;
}) {
  const client = useQueryClient();
  const navigate = useNavigate();
  const [grouping, setGrouping] = useState('');
  const [later, setLater] = useState<string | null>(null);
  const start = useMutation({
    mutationFn: () =>
      post<Started | { workflowId: string; message: string }>('/api/admin/payment-runs', grouping ? { grouping } : {}),
    onSuccess: async (answer) => {
      await client.invalidateQueries({ queryKey: ['admin', 'payment-runs'] });
      if ('run' in answer) {
        notify(
          'teal',
          `Campagne ${answer.run.number} faite`,
          `${count(answer.run.transferCount)} virement(s), ${money(answer.run.totalCents)}.`,
        );
        onClose();
        void navigate(`/admin/paiements/${answer.run.number}`);
      } else {
        setLater(answer.message);
        onGoingOn();
      }
    },
  });
  const close = () => {
    if (start.isPending) return;
    start.reset();
    setLater(null);
    onClose();
  };
  return (
    <Modal
      opened={opened}
      onClose={close}
      title="Lancer une campagne de paiement"
      closeOnClickOutside={!start.isPending}
    >
      <Stack>
        <Text size="sm">
          La campagne paie les pro formas validées en attente de paiement, déduit les avoirs, écrit le fichier de
          virements SEPA et passe chaque pro forma au statut « Paiement émis ».
        </Text>
        <NativeSelect
          label="Regroupement des virements"
          value={grouping}
          onChange={(e) => setGrouping(e.currentTarget.value)}
          disabled={start.isPending || later !== null}
          data={[
            { value: '', label: 'Selon la configuration' },
            ...Object.entries(GROUPING_LABELS).map(([value, label]) => ({ value, label })),
          ]}
        />
        {start.isPending && (
          <Stack gap={4} role="status">
            <Progress value={100} animated striped aria-label="Campagne en cours" />
            <Text size="sm">Campagne en cours : collecte des paiements, fichier SEPA, information des pro formas…</Text>
          </Stack>
        )}
        {later && (
          <Alert color="blue" title="La campagne continue" role="status">
            {later}
          </Alert>
        )}
        <ErrorMessage error={start.error} title="Campagne impossible" />
        <Group justify="flex-end">
          <Button variant="default" onClick={close} disabled={start.isPending}>
            {later ? 'Fermer' : 'Annuler'}
          </Button>
          {!later && (
            <Button onClick={() => start.mutate()} loading={start.isPending}>
              Lancer la campagne
            </Button>
          )}
        </Group>
      </Stack>
    </Modal>
  );
}

const runColumns: Column<Run>[] = [
  {
    key: 'number',
    header: 'Campagne',
    cell: (r) => (
      <Anchor component={Link} to={`/admin/paiements/${r.number}`} ff="monospace" size="sm">
        {r.number}
      </Anchor>
    ),
  },
  { key: 'created', header: 'Faite le', cell: (r) => dateTime(r.createdAt) },
  { key: 'trigger', header: 'Déclenchement', cell: (r) => TRIGGER_LABELS[r.trigger] },
  { key: 'grouping', header: 'Regroupement', cell: (r) => GROUPING_LABELS[r.grouping] },
  { key: 'execution', header: 'Exécution demandée', cell: (r) => date(r.executionDate) },
  { key: 'count', header: 'Virements', cell: (r) => count(r.transferCount), numeric: true },
  { key: 'total', header: 'Montant', cell: (r) => money(r.totalCents), numeric: true },
  { key: 'file', header: 'Fichier SEPA', cell: (r) => (r.fileSha256 ? 'Oui' : 'Rien à virer') },
];

function RunsSection({ waiting }: { waiting: boolean }) {
  const [page, setPage] = useState(1);
  const runs = useQuery({
    queryKey: ['admin', 'payment-runs', 'list', page],
    queryFn: () => get<RunList>('/api/admin/payment-runs', { page, pageSize: PAGE_SIZE }),
    placeholderData: keepPreviousData,
    // A run that goes on (202) appears in the list when done.
    refetchInterval: waiting ? 5_000 : false,
  });
  return (
    <Section title="Campagnes">
      <ErrorMessage error={runs.error} title="Campagnes indisponibles" />
      <ListTable
        caption="Les campagnes de paiement, les plus récentes d’abord"
        columns={runColumns}
        rows={runs.data?.items}
        rowKey={(r) => r.id}
        empty="Aucune campagne pour l’instant."
        skeletonRows={5}
      />
      <ListPagination page={page} pageSize={PAGE_SIZE} total={runs.data?.total} onChange={setPage} />
    </Section>
  );
}

const fileColumns: Column<BankFile>[] = [
  {
    key: 'name',
    header: 'Fichier',
    cell: (f) => (
      <Anchor component={Link} to={`/admin/paiements/fichiers/${f.id}`} size="sm">
        {f.fileName}
      </Anchor>
    ),
  },
  { key: 'kind', header: 'Type', cell: (f) => BANK_FILE_KINDS[f.kind] },
  { key: 'received', header: 'Reçu le', cell: (f) => dateTime(f.receivedAt) },
  { key: 'applied', header: 'Lignes appliquées', cell: (f) => count(f.appliedCount), numeric: true },
  { key: 'reported', header: 'Lignes signalées', cell: (f) => count(f.reportedCount), numeric: true },
];

function BankFilesSection() {
  const { can } = useSession();
  const client = useQueryClient();
  const [page, setPage] = useState(1);
  const [progress, setProgress] = useState<number | null>(null);
  const files = useQuery({
    queryKey: ['admin', 'bank-files', page],
    queryFn: () => get<BankFileList>('/api/admin/bank-files', { page, pageSize: PAGE_SIZE }),
    placeholderData: keepPreviousData,
  });
  const send = useMutation({
    mutationFn: async (file: File) => {
      setProgress(0);
      try {
        return await upload<BankFileReport | { workflowId: string; message: string }>(
          '/api/admin/bank-files',
          file,
          setProgress,
        );
      } finally {
        setProgress(null);
      }
    },
    onSuccess: () => client.invalidateQueries({ queryKey: ['admin', 'bank-files'] }),
  });
  const report = send.data && 'lines' in send.data ? send.data : null;
  const later = send.data && 'message' in send.data && !('lines' in send.data) ? send.data.message : null;
  return (
    <Section title="Fichiers de la banque">
      {can('payment-runs:manage') && (
        <Stack gap="sm">
          <UploadZone
            label="Déposer un relevé de la banque (camt.054 ou pain.002)"
            rules="Fichier XML, 10 Mo et 2 000 lignes au plus. Le même fichier deux fois n’applique rien de plus."
            accept={['application/xml', 'text/xml', '.xml']}
            progress={progress}
            onFile={(file) => send.mutate(file)}
          />
          <ErrorMessage error={send.error} title="Fichier refusé" />
          {later && (
            <Alert color="blue" title="L’intégration continue" role="status">
              {later}
            </Alert>
          )}
          {report && (
            <Alert
              color={report.reportedCount > 0 ? 'orange' : 'teal'}
              title={`${report.fileName} intégré`}
              role="status"
            >
              <Stack gap="xs">
                <Text size="sm">
                  {report.alreadyReceived
                    ? 'Ce fichier avait déjà été intégré : rien n’est appliqué deux fois.'
                    : `${count(report.appliedCount)} ligne(s) appliquée(s), ${count(report.reportedCount)} signalée(s).`}{' '}
                  <Anchor component={Link} to={`/admin/paiements/fichiers/${report.id}`} size="sm">
                    Voir le compte rendu
                  </Anchor>
                </Text>
                <BankFileLines lines={report.lines} caption={`Lignes de ${report.fileName}`} />
              </Stack>
            </Alert>
          )}
        </Stack>
      )}
      <ErrorMessage error={files.error} title="Fichiers indisponibles" />
      <ListTable
        caption="Les fichiers de la banque reçus, les plus récents d’abord"
        columns={fileColumns}
        rows={files.data?.items}
        rowKey={(f) => f.id}
        empty="Aucun fichier reçu."
        skeletonRows={3}
      />
      <ListPagination page={page} pageSize={PAGE_SIZE} total={files.data?.total} onChange={setPage} />
    </Section>
  );
}

export function PaymentRunsPage() {
  const { can } = useSession();
  const [starting, setStarting] = useState(false);
  const [waiting, setWaiting] = useState(false);
  return (
    <Page
      title="Paiements"
      actions={can('payment-runs:manage') && <Button onClick={() => setStarting(true)}>Lancer une campagne</Button>}
    >
      <ScheduleSection />
      <RunsSection waiting={waiting} />
      <BankFilesSection />
      <StartRunModal opened={starting} onClose={() => setStarting(false)} onGoingOn={() => setWaiting(true)} />
    </Page>
  );
}
