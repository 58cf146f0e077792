import {
  Alert,
  Button,
  Group,
  List,
  Loader,
  Modal,
  NativeSelect,
  Paper,
  Stack,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { fillLetter } from '../../../../domain/pro-forma';
import { ErrorMessage } from '../../components/page';
import { money, parseEuros, percent } from '../../format';
import { controlLabel, FIELD_LABELS, FIELDS, fieldValue, WARNING_TEXT } from './labels';
import { currentValue, type FieldReading } from './reading';
import type { CorrectableField, CorrectionBody, Detail, RefusalReason } from './types';

/**
 * The validator's three dialogs: approve (what is still to check, said before confirming), refuse (a reason of the
 * catalogue and a comment, the letter the CFA will receive previewed as it will read it), correct a read value
 * (with a justification, kept in the history).
 */

/** The dialogs' close button, named. */
export const CLOSE = { 'aria-label': 'Fermer' };

/** Field descriptions in a readable grey. */
const DESCRIPTION = { description: { color: 'var(--mantine-color-gray-7)' } };

interface ActionState {
  pending: boolean;
  error: unknown;
}

function Actions({ onClose, pending, children }: { onClose(): void; pending: boolean; children: React.ReactNode }) {
  return (
    <Group justify="flex-end" mt="md">
      <Button variant="default" onClick={onClose} disabled={pending}>
        Annuler
      </Button>
      {children}
    </Group>
  );
}

// ---- Approve ------------------------------------------------------------------------------------------------------

export function ApproveModal({
  opened,
  onClose,
  detail,
  state,
  onConfirm,
}: {
  opened: boolean;
  onClose(): void;
  detail: Detail;
  state: ActionState;
  onConfirm(): void;
}) {
  const open = detail.controls.filter((c) => c.outcome !== 'PASSED');
  const second = detail.stage === 'AWAITING_SECOND_APPROVAL';
  return (
    <Modal opened={opened} onClose={onClose} title="Valider la facture" size="lg" closeButtonProps={CLOSE}>
      <Stack gap="sm">
        <Text>
          Pro forma {detail.number} de {detail.cfa.name} : {money(detail.totalCents)}.
        </Text>
        {second && (
          <Text>
            Vous donnez la seconde validation (première approbation par{' '}
            {detail.desk?.firstApproval?.name ?? 'un autre valideur'}).
          </Text>
        )}
        {open.length > 0 && (
          <Alert color="orange" title="Contrôles non conformes" styles={{ title: { color: WARNING_TEXT } }}>
            <List size="sm">
              {open.map((c) => (
                <List.Item key={c.code}>
                  {controlLabel(c.code)} : {c.message}
                </List.Item>
              ))}
            </List>
          </Alert>
        )}
        <ErrorMessage error={state.error} title="Validation impossible" />
        <Actions onClose={onClose} pending={state.pending}>
          <Button color="teal.9" loading={state.pending} onClick={onConfirm} data-autofocus>
            Confirmer la validation
          </Button>
        </Actions>
      </Stack>
    </Modal>
  );
}

// ---- Refuse -------------------------------------------------------------------------------------------------------

export interface RefusalChoice {
  reasonCode: string;
  comment?: string;
}

export function RefuseModal({
  opened,
  onClose,
  detail,
  reasons,
  reasonsError,
  state,
  onConfirm,
}: {
  opened: boolean;
  onClose(): void;
  detail: Detail;
  reasons: RefusalReason[] | undefined;
  reasonsError: unknown;
  state: ActionState;
  onConfirm(choice: RefusalChoice): void;
}) {
  return (
    <Modal opened={opened} onClose={onClose} title="Refuser la facture" size="xl" closeButtonProps={CLOSE}>
      <ErrorMessage error={reasonsError} title="Le catalogue des motifs n’a pas pu être lu" />
      {!reasons && !reasonsError && <Loader aria-label="Chargement des motifs de refus" />}
      {reasons && (
        <RefuseForm detail={detail} reasons={reasons} state={state} onClose={onClose} onConfirm={onConfirm} />
      )}
    </Modal>
  );
}

/** The reason a control that did not pass stands for: the likeliest one. */
function suggestedReason(detail: Detail, reasons: RefusalReason[]): string {
  const codes = new Set(reasons.map((r) => r.code));
  return (
    detail.controls.find((c) => c.outcome !== 'PASSED' && c.reasonCode && codes.has(c.reasonCode))?.reasonCode ?? ''
  );
}

function RefuseForm({
  detail,
  reasons,
  state,
  onClose,
  onConfirm,
}: {
  detail: Detail;
  reasons: RefusalReason[];
  state: ActionState;
  onClose(): void;
  onConfirm(choice: RefusalChoice): void;
}) {
  const [code, setCode] = useState(() => suggestedReason(detail, reasons));
  const [comment, setComment] = useState('');
  const [missing, setMissing] = useState(false);
  const reason = reasons.find((r) => r.code === code);
  const invoiceNumber = currentValue(detail, 'invoiceNumber');
  const letter = reason
    ? fillLetter(reason.letter, {
        numeroProForma: detail.number,
        numeroFacture: typeof invoiceNumber === 'string' ? invoiceNumber : null,
      })
    : null;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!reason) {
      setMissing(true);
      return;
    }
    onConfirm({ reasonCode: reason.code, ...(comment.trim() && { comment: comment.trim() }) });
  };

  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="sm">
        <NativeSelect
          label="Motif de refus"
          required
          value={code}
          error={missing && !reason ? 'Choisissez un motif du catalogue.' : undefined}
          onChange={(e) => setCode(e.currentTarget.value)}
          data={[{ value: '', label: 'Choisir un motif…' }, ...reasons.map((r) => ({ value: r.code, label: r.label }))]}
        />
        <Textarea
          label="Commentaire pour le CFA"
          description="Facultatif : ajouté sous la lettre."
          styles={DESCRIPTION}
          autosize
          minRows={2}
          maxRows={6}
          maxLength={2000}
          value={comment}
          onChange={(e) => setComment(e.currentTarget.value)}
        />
        <Paper withBorder p="md" bg="gray.0" component="section" aria-labelledby="letter-preview-title">
          <Title order={3} size="h5" id="letter-preview-title" mb="xs">
            Aperçu de la lettre
          </Title>
          {reason && letter ? (
            <Stack gap="xs" data-testid="letter-preview">
              <Text size="sm" fw={600}>
                Motif de refus : {reason.label}
              </Text>
              <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
                {letter}
              </Text>
              {comment.trim() && (
                <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
                  Commentaire du valideur : {comment.trim()}
                </Text>
              )}
            </Stack>
          ) : (
            <Text size="sm">Choisissez un motif : la lettre envoyée au CFA s’affiche ici.</Text>
          )}
        </Paper>
        <ErrorMessage error={state.error} title="Refus impossible" />
        <Actions onClose={onClose} pending={state.pending}>
          <Button type="submit" color="red.9" loading={state.pending}>
            Confirmer le refus
          </Button>
        </Actions>
      </Stack>
    </form>
  );
}

// ---- Correct ------------------------------------------------------------------------------------------------------

export function CorrectModal({
  opened,
  onClose,
  readings,
  initialField,
  state,
  onConfirm,
}: {
  opened: boolean;
  onClose(): void;
  readings: FieldReading[];
  initialField: CorrectableField;
  state: ActionState;
  onConfirm(body: CorrectionBody): void;
}) {
  return (
    <Modal opened={opened} onClose={onClose} title="Corriger la lecture" size="lg" closeButtonProps={CLOSE}>
      <CorrectForm
        readings={readings}
        initialField={initialField}
        state={state}
        onClose={onClose}
        onConfirm={onConfirm}
      />
    </Modal>
  );
}

/** The value as the user edits it: euros for the total, the ISO date for a date input, the text otherwise. */
function editable(field: CorrectableField, value: string | number | null): string {
  if (value === null) return '';
  if (field === 'totalCents' && typeof value === 'number') return money(value).replace(/\s?€$/, '');
  return String(value);
}

function CorrectForm({
  readings,
  initialField,
  state,
  onClose,
  onConfirm,
}: {
  readings: FieldReading[];
  initialField: CorrectableField;
  state: ActionState;
  onClose(): void;
  onConfirm(body: CorrectionBody): void;
}) {
  const valueOf = (f: CorrectableField) => readings.find((r) => r.field === f)?.value ?? null;
  const [field, setField] = useState<CorrectableField>(initialField);
  const [text, setText] = useState(() => editable(initialField, valueOf(initialField)));
  const [justification, setJustification] = useState('');
  const [problems, setProblems] = useState<{ value?: string; justification?: string }>({});
  const reading = readings.find((r) => r.field === field);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found: typeof problems = {};
    let value: string | number | null = text.trim();
    if (value === '') found.value = 'Indiquez la valeur lue sur le document.';
    else if (field === 'totalCents') {
      value = parseEuros(value);
      if (value === null) found.value = 'Montant invalide : par exemple 1 234,56';
    }
    if (justification.trim().length < 3) found.justification = 'Expliquez la correction (3 caractères au moins).';
    setProblems(found);
    if (found.value || found.justification) return;
    onConfirm({ fields: { [field]: value }, justification: justification.trim() });
  };

  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="sm">
        <NativeSelect
          label="Champ à corriger"
          value={field}
          onChange={(e) => {
            const next = e.currentTarget.value as CorrectableField;
            setField(next);
            setText(editable(next, valueOf(next)));
          }}
          data={FIELDS.map((f) => ({ value: f, label: FIELD_LABELS[f] }))}
        />
        {reading && (
          <Text size="sm">
            Valeur actuelle : <strong>{fieldValue(field, reading.value)}</strong>
            {reading.confidence !== null && ` (lue avec ${percent(reading.confidence)} de confiance)`}
          </Text>
        )}
        <TextInput
          label={field === 'totalCents' ? 'Nouvelle valeur (€)' : 'Nouvelle valeur'}
          type={field === 'issueDate' ? 'date' : 'text'}
          inputMode={field === 'totalCents' ? 'decimal' : undefined}
          required
          value={text}
          error={problems.value}
          onChange={(e) => setText(e.currentTarget.value)}
          data-autofocus
        />
        <Textarea
          label="Justification"
          description="Conservée dans l’historique de la facture."
          styles={DESCRIPTION}
          required
          autosize
          minRows={2}
          maxLength={1000}
          value={justification}
          error={problems.justification}
          onChange={(e) => setJustification(e.currentTarget.value)}
        />
        <ErrorMessage error={state.error} title="Correction refusée" />
        <Actions onClose={onClose} pending={state.pending}>
          <Button type="submit" loading={state.pending}>
            Enregistrer la correction
          </Button>
        </Actions>
      </Stack>
    </form>
  );
}
