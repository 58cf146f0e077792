import {
  Alert,
  Anchor,
  Button,
  Group,
  NativeSelect,
  Paper,
  SimpleGrid,
  Skeleton,
  Stack,
  Text,
  Title,
} from '@mantine/core';
import { useHotkeys, useMediaQuery } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import type { ProFormaAction } from '../../../../domain/process';
import { fetchBlob, get, post } from '../../api';
import {
  DocumentViewer,
  useDocumentViewer,
  type DocumentMark,
  type DocumentViewerState,
} from '../../components/document-viewer';
import { ErrorMessage, Page } from '../../components/page';
import { StatusBadge } from '../../components/status';
import { bytes, dateTime, money } from '../../format';
import { useSession } from '../../session';
import { ApproveModal, CorrectModal, RefuseModal, type RefusalChoice } from './decision-modals';
import { ControlsPanel, HistoryPanel, LinesPanel, ReferencePanel } from './panels';
import { QUEUE_KEY } from './queue-page';
import { ReadFields } from './read-fields';
import { FIELD_LABELS } from './labels';
import { fieldReadings, type FieldReading } from './reading';
import { ShortcutHint, ShortcutsModal } from './shortcuts';
import type { CorrectableField, CorrectionBody, DecisionBody, Detail, RefusalReasons } from './types';

/**
 * The invoice page of the validation desk (« /validation/:number »): the deposited document on the left (PDF
 * rendered in the page, images zoomable), on the right what was read from it (confidence, uncertain values
 * highlighted), the controls, the CFA's reference data, the pro forma's lines and the history; the validator claims,
 * corrects, approves (a second validator above the four-eyes threshold) or refuses with a reason and a comment,
 * from the buttons or the keyboard. After a decision, back to the queue.
 */

type Dialog = 'approve' | 'refuse' | 'correct' | 'shortcuts';

export function InvoicePage() {
  const { number = '' } = useParams();
  const detail = useQuery({
    queryKey: ['pro-forma', number],
    queryFn: () => get<Detail>(`/api/pro-formas/${encodeURIComponent(number)}`),
  });
  const viewer = useDocumentViewer();

  if (detail.error) {
    return (
      <Page title={`Facture ${number}`}>
        <ErrorMessage error={detail.error} title="Facture introuvable" />
        <Anchor component={Link} to="/validation">
          Retour à la file de validation
        </Anchor>
      </Page>
    );
  }
  if (!detail.data) {
    return (
      <Page title={`Facture ${number}`}>
        <Skeleton height={24} width="60%" />
        <SimpleGrid cols={{ base: 1, lg: 2 }}>
          <Skeleton height={600} />
          <Skeleton height={600} />
        </SimpleGrid>
      </Page>
    );
  }
  return <InvoiceDesk detail={detail.data} viewer={viewer} />;
}

/** The desk's writes; each answers the pro forma as it now stands, which replaces the page's copy. */
function useDeskActions(detail: Detail) {
  const client = useQueryClient();
  const navigate = useNavigate();
  const path = `/api/pro-formas/${detail.number}`;
  const settle = (next: Detail) => {
    client.setQueryData(['pro-forma', next.number], next);
    void client.invalidateQueries({ queryKey: [QUEUE_KEY] });
  };
  const failed = (title: string) => (error: Error) =>
    notifications.show({ color: 'red', title, message: error.message });
  return {
    claim: useMutation({
      mutationFn: (takeOver: boolean) => post<Detail>(`${path}/claim`, takeOver ? { takeOver: true } : {}),
      onSuccess: settle,
      onError: failed('Prise en charge impossible'),
    }),
    release: useMutation({
      mutationFn: () => post<Detail>(`${path}/claim/release`),
      onSuccess: (next) => {
        settle(next);
        notifications.show({
          color: 'teal',
          title: 'Prise en charge libérée',
          message: `${next.number} est de nouveau libre.`,
        });
        void navigate('/validation');
      },
      onError: failed('Libération impossible'),
    }),
    decide: useMutation({
      mutationFn: (body: DecisionBody) => post<Detail>(`${path}/decision`, body),
      onSuccess: (next) => {
        settle(next);
        notifications.show(decisionNotice(next));
        void navigate('/validation');
      },
    }),
    correct: useMutation({
      mutationFn: (body: CorrectionBody) => post<Detail>(`${path}/corrections`, body),
      onSuccess: (next) => {
        settle(next);
        notifications.show({
          color: 'teal',
          title: 'Correction enregistrée',
          message: 'Les contrôles ont été rejoués sur la lecture corrigée.',
        });
      },
    }),
  };
}

function decisionNotice(next: Detail) {
  if (next.status === 'REFUSED') {
    return { color: 'teal', title: `Facture ${next.number} refusée`, message: 'Le CFA reçoit la lettre de refus.' };
  }
  if (next.stage === 'AWAITING_SECOND_APPROVAL') {
    return {
      color: 'teal',
      title: 'Première approbation enregistrée',
      message: `${next.number} : la seconde validation revient à un autre valideur.`,
    };
  }
  return { color: 'teal', title: `Facture ${next.number} validée`, message: 'Elle est transmise pour paiement.' };
}

function InvoiceDesk({ detail, viewer }: { detail: Detail; viewer: DocumentViewerState }) {
  const { user, can } = useSession();
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [correctField, setCorrectField] = useState<CorrectableField>('invoiceNumber');
  const actions = useDeskActions(detail);
  const wide = useMediaQuery('(min-width: 75em)');
  const readings = fieldReadings(detail);
  const [shown, setShown] = useState<CorrectableField | null>(null);
  const show = (field: CorrectableField) => {
    const position = readings.find((r) => r.field === field)?.position;
    if (!position) return;
    setShown(field);
    viewer.goTo(position.page);
  };

  const claim = detail.desk?.claim ?? null;
  const mine = claim !== null && claim.userId === user?.id;
  const heldByOther = claim !== null && !mine;
  // What may be done where the pro forma stands, its stage included (a correction before the first approval only).
  const allowed = (action: ProFormaAction) => detail.allowedActions.includes(action);
  const firstApprover = detail.desk?.firstApproval ?? null;
  const iApprovedFirst = firstApprover !== null && firstApprover.userId === user?.id;
  const mayDecide = can('pro-formas:decide') && allowed('DECIDE') && !heldByOther;
  const mayApprove = mayDecide && !iApprovedFirst;
  const mayCorrect = can('pro-formas:correct') && allowed('CORRECT_READING') && !heldByOther;
  const mayClaim = can('validation:claim') && allowed('CLAIM');

  const reasons = useQuery({
    queryKey: ['refusal-reasons', 'active'],
    queryFn: () => get<RefusalReasons>('/api/admin/refusal-reasons', { pageSize: 200 }),
    enabled: mayDecide && can('refusal-reasons:read'),
    staleTime: 5 * 60_000,
  });

  const open = (next: Dialog) => {
    if (next === 'approve' || next === 'refuse') actions.decide.reset();
    if (next === 'correct') actions.correct.reset();
    setDialog(next);
  };
  const openCorrection = (field?: CorrectableField) => {
    setCorrectField(field ?? readings.find((r) => r.uncertain || r.controls.length > 0)?.field ?? 'invoiceNumber');
    open('correct');
  };
  const close = () => setDialog(null);
  const whenFree = (run: () => void) => () => {
    if (dialog === null) run();
  };
  useHotkeys([
    ['v', whenFree(() => mayApprove && open('approve'))],
    ['r', whenFree(() => mayDecide && open('refuse'))],
    ['c', whenFree(() => mayCorrect && openCorrection())],
    ['n', whenFree(viewer.nextPage)],
    ['j', whenFree(viewer.nextPage)],
    ['p', whenFree(viewer.previousPage)],
    ['k', whenFree(viewer.previousPage)],
    ['[plus]', whenFree(viewer.zoomIn)],
    ['shift+[plus]', whenFree(viewer.zoomIn)],
    ['=', whenFree(viewer.zoomIn)],
    ['-', whenFree(viewer.zoomOut)],
    ['0', whenFree(viewer.fitWidth)],
    ['shift+0', whenFree(viewer.fitWidth)],
    ['?', whenFree(() => open('shortcuts'))],
    ['shift+?', whenFree(() => open('shortcuts'))],
  ]);

  const header = (
    <>
      {mayClaim && !claim && (
        <Button variant="default" loading={actions.claim.isPending} onClick={() => actions.claim.mutate(false)}>
          Prendre en charge
        </Button>
      )}
      {mayClaim && heldByOther && user?.role === 'admin' && (
        <Button variant="default" loading={actions.claim.isPending} onClick={() => actions.claim.mutate(true)}>
          Reprendre la prise en charge
        </Button>
      )}
      {mine && (
        <Button variant="default" loading={actions.release.isPending} onClick={() => actions.release.mutate()}>
          Libérer
        </Button>
      )}
      {mayCorrect && (
        <Button variant="default" onClick={() => openCorrection()}>
          Corriger
        </Button>
      )}
      {mayDecide && (
        <Button color="red.9" onClick={() => open('refuse')}>
          Refuser
        </Button>
      )}
      {mayApprove && (
        <Button color="teal.9" onClick={() => open('approve')}>
          Valider
        </Button>
      )}
    </>
  );

  return (
    <Page title={`Facture ${detail.number}`} actions={header}>
      <Summary detail={detail} />
      <ShortcutHint onShowAll={() => open('shortcuts')} />
      <DeskState detail={detail} mine={mine} iApprovedFirst={iApprovedFirst} />
      <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="md" style={{ alignItems: 'start' }}>
        <Paper
          withBorder
          p="md"
          component="section"
          aria-labelledby="document-title"
          style={wide ? { position: 'sticky', top: 72 } : undefined}
        >
          <DocumentPanel detail={detail} viewer={viewer} marks={marksOf(readings, shown)} />
        </Paper>
        <Stack gap="md">
          <ReadFields
            detail={detail}
            readings={readings}
            onCorrect={mayCorrect ? openCorrection : undefined}
            shown={shown}
            onShow={show}
          />
          <ControlsPanel detail={detail} />
          <ReferencePanel detail={detail} />
          <LinesPanel detail={detail} />
          <HistoryPanel detail={detail} />
        </Stack>
      </SimpleGrid>

      <ApproveModal
        opened={dialog === 'approve'}
        onClose={close}
        detail={detail}
        state={{ pending: actions.decide.isPending, error: actions.decide.error }}
        onConfirm={() => actions.decide.mutate({ decision: 'APPROVE' })}
      />
      <RefuseModal
        opened={dialog === 'refuse'}
        onClose={close}
        detail={detail}
        reasons={reasons.data?.items.filter((r) => r.active)}
        reasonsError={
          can('refusal-reasons:read')
            ? reasons.error
            : new Error('Vos droits ne permettent pas de lire le catalogue des motifs de refus.')
        }
        state={{ pending: actions.decide.isPending, error: actions.decide.error }}
        onConfirm={(choice: RefusalChoice) => actions.decide.mutate({ decision: 'REFUSE', ...choice })}
      />
      <CorrectModal
        opened={dialog === 'correct'}
        onClose={close}
        readings={readings}
        initialField={correctField}
        state={{ pending: actions.correct.isPending, error: actions.correct.error }}
        onConfirm={(body) => actions.correct.mutate(body, { onSuccess: close })}
      />
      <ShortcutsModal opened={dialog === 'shortcuts'} onClose={close} />
    </Page>
  );
}

function Summary({ detail }: { detail: Detail }) {
  return (
    <Group gap="md" wrap="wrap">
      <StatusBadge status={detail.status} label={detail.statusLabel} />
      <Text size="sm">
        {detail.cfa.name} (SIRET {detail.cfa.siret}) · {detail.natureLabel} ·{' '}
        {detail.kind === 'CREDIT_NOTE' ? 'avoir' : 'facture'} de <strong>{money(detail.totalCents)}</strong> · déposée
        le {dateTime(detail.depositedAt)}
      </Text>
      <Anchor component={Link} to="/validation" size="sm">
        Retour à la file de validation
      </Anchor>
    </Group>
  );
}

/** Who holds the invoice, whether a second approval is awaited, or that no decision is. */
function DeskState({ detail, mine, iApprovedFirst }: { detail: Detail; mine: boolean; iApprovedFirst: boolean }) {
  const claim = detail.desk?.claim ?? null;
  const first = detail.desk?.firstApproval ?? null;
  const inQueue = detail.allowedActions.includes('DECIDE');
  return (
    <Stack gap="xs">
      {!inQueue && (
        <Alert color="gray" title="Aucune décision n’est attendue">
          La facture est au statut « {detail.statusLabel} ».
        </Alert>
      )}
      {inQueue && first && (
        <Alert color="indigo" title="Seconde validation attendue">
          Première approbation par {first.name ?? 'un valideur'} : le montant dépasse le seuil de double validation.{' '}
          {iApprovedFirst
            ? 'Vous avez donné la première approbation : la seconde revient à un autre valideur.'
            : 'Votre validation sera la seconde.'}
        </Alert>
      )}
      {inQueue && claim && (
        <Text size="sm" role="status">
          {mine
            ? `Vous avez pris cette facture en charge jusqu’à ${dateTime(claim.expiresAt)}.`
            : `Prise en charge par ${claim.name ?? 'un autre valideur'} jusqu’à ${dateTime(claim.expiresAt)} : la décision lui revient.`}
        </Text>
      )}
      {inQueue && !claim && (
        <Text size="sm" role="status">
          Personne n’a pris cette facture en charge.
        </Text>
      )}
    </Stack>
  );
}

/**
 * Where the read values stand on the document: each field found on the page framed, the one the validator asked to
 * see boldly, the uncertain or failing ones in the warning colour.
 */
function marksOf(readings: readonly FieldReading[], shown: CorrectableField | null): DocumentMark[] {
  return readings.flatMap((r) => {
    if (!r.position) return [];
    const tone = r.field === shown ? 'selected' : r.uncertain || r.controls.length > 0 ? 'warning' : 'plain';
    return [{ id: r.field, label: FIELD_LABELS[r.field], ...r.position, tone }];
  });
}

/**
 * The deposited document (the latest version unless another is chosen), fetched as a blob and shown in the page,
 * with the places of the values read framed on the version that was read.
 */
function DocumentPanel({
  detail,
  viewer,
  marks,
}: {
  detail: Detail;
  viewer: DocumentViewerState;
  marks: DocumentMark[];
}) {
  const versions = [...detail.documents].sort((a, b) => b.version - a.version);
  const [chosen, setChosen] = useState<number | null>(null);
  const document = versions.find((d) => d.version === chosen) ?? versions[0];
  const read = document !== undefined && document.version === detail.extraction?.version;
  const blob = useQuery({
    queryKey: ['document', detail.number, document?.version],
    queryFn: () => fetchBlob(`/api/pro-formas/${detail.number}/documents/${document?.version}`),
    enabled: document !== undefined,
    staleTime: Infinity,
  });
  return (
    <Stack gap="xs">
      <Group justify="space-between" wrap="wrap">
        <Title order={2} size="h4" id="document-title">
          Document déposé
        </Title>
        {versions.length > 1 && (
          <NativeSelect
            label="Version déposée"
            size="xs"
            value={String(document?.version)}
            onChange={(e) => setChosen(Number(e.currentTarget.value))}
            data={versions.map((d) => ({
              value: String(d.version),
              label: `Version ${d.version} — ${dateTime(d.uploadedAt)}`,
            }))}
          />
        )}
      </Group>
      {!document && <Text>Aucune facture n’a été déposée.</Text>}
      {document && (
        <Text size="sm" c="gray.7">
          {document.fileName} · {bytes(document.size)} · déposé le {dateTime(document.uploadedAt)}
        </Text>
      )}
      <ErrorMessage error={blob.error} title="Le document n’a pas pu être lu" />
      {document && !blob.data && !blob.error && <Skeleton height={480} />}
      {document && blob.data && (
        <DocumentViewer
          blob={blob.data}
          mimeType={document.mimeType}
          fileName={document.fileName}
          viewer={viewer}
          marks={read ? marks : []}
        />
      )}
      {document && detail.extraction && (
        <Text size="xs" c="gray.7">
          {!read && 'Cette version n’est pas celle qui a été lue : les valeurs lues ne sont pas situées sur ses pages.'}
          {read &&
            marks.length > 0 &&
            'Les cadres montrent où les valeurs ont été lues ; « Voir » dans les valeurs lues mène à l’une d’elles.'}
          {read && marks.length === 0 && 'La lecture n’a pas situé les valeurs sur la page : comparez-les au document.'}
        </Text>
      )}
    </Stack>
  );
}
