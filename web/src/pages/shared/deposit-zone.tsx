import { Alert, Button, Group, List, Paper, Progress, Stack, Text, Title } from '@mantine/core';
import { Dropzone } from '@mantine/dropzone';
import { notifications } from '@mantine/notifications';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import {
  ACCEPTED_MIME_TYPES,
  extensionOf,
  fileNameLength,
  INTAKE_REFUSALS,
  MAX_FILE_BYTES,
  MAX_FILE_NAME_CHARS,
  sanitizeFileName,
} from '../../../../domain/deposit-rules';
import { ApiError, upload } from '../../api';
import { ErrorMessage } from '../../components/page';
import { bytes } from '../../format';
import type { ProFormaDetail } from './types';

/**
 * The deposit of a CFA's invoice (the guide's « Joindre une facture » and « Modifier la facture de la pro forma »):
 * drag and drop or the file picker, the rules told before (types, 5 Mo, 50 caractères), a file that breaks one
 * explained before anything is sent, the upload's progress, and the API's refusals (413, 415, 422, 409, 429) in
 * words. The rules are domain/deposit-rules.ts's, the ones the API applies (it judges the type on the content).
 */

/** Extensions of the accepted types, « jpeg » too: what the CFA's file may be called. */
const EXTENSIONS = [...new Set([...ACCEPTED_MIME_TYPES.map(extensionOf), 'jpeg'])];
const EXTENSIONS_TEXT = ['pdf', 'jpg', 'jpeg', 'gif', 'png'].filter((e) => EXTENSIONS.includes(e)).join(', ');
const MAX_MB = MAX_FILE_BYTES / (1024 * 1024);

/** What is wrong with the chosen files, in words (empty: the file may be sent). */
export function depositProblems(files: readonly File[]): string[] {
  if (files.length === 0) return ['Aucun fichier choisi.'];
  if (files.length > 1) return [`Déposez un seul fichier à la fois (vous en avez choisi ${files.length}).`];
  const file = files[0] as File;
  const name = sanitizeFileName(file.name);
  const problems: string[] = [];
  const extension = /\.([^.]+)$/.exec(name)?.[1]?.toLowerCase() ?? '';
  const typeAccepted = (ACCEPTED_MIME_TYPES as readonly string[]).includes(file.type);
  if (!typeAccepted && !EXTENSIONS.includes(extension)) {
    problems.push(`« ${name} » : ${INTAKE_REFUSALS.FILE_TYPE_NOT_ACCEPTED.message}`);
  }
  if (file.size > MAX_FILE_BYTES) {
    problems.push(
      `« ${name} » pèse ${bytes(file.size)} : ${INTAKE_REFUSALS.FILE_TOO_LARGE.message.replace(/^Le fichier /, 'il ')}`,
    );
  } else if (file.size === 0) {
    problems.push(`« ${name} » : ${INTAKE_REFUSALS.FILE_EMPTY.message}`);
  }
  if (name.length === 0) problems.push(INTAKE_REFUSALS.FILE_NAME_MISSING.message);
  else if (fileNameLength(name) > MAX_FILE_NAME_CHARS) {
    problems.push(
      `Le nom « ${name} » compte ${fileNameLength(name)} caractères : ${INTAKE_REFUSALS.FILE_NAME_TOO_LONG.message}`,
    );
  }
  return problems;
}

/** The title of an API refusal of the upload, by HTTP status. */
function refusalTitle(error: unknown): string {
  if (!(error instanceof ApiError)) return 'Envoi impossible';
  switch (error.status) {
    case 413:
      return 'Fichier trop volumineux';
    case 415:
      return 'Type de fichier refusé';
    case 422:
      return 'Fichier refusé';
    case 409:
      return 'Dépôt impossible au statut actuel';
    case 429:
      return 'Trop de dépôts en peu de temps';
    default:
      return 'Envoi impossible';
  }
}

export function DepositZone({
  pf,
  newVersion,
  onDeposited,
  onClose,
  scrollIntoView = false,
}: {
  pf: ProFormaDetail;
  /** A new version of an invoice already deposited (« Modifier la facture »). */
  newVersion: boolean;
  onDeposited(detail: ProFormaDetail): void;
  onClose?: () => void;
  /** Brought into view when it opens (the list's « Déposer la facture » leads here). */
  scrollIntoView?: boolean;
}) {
  const openRef = useRef<() => void>(null);
  const [file, setFile] = useState<File | null>(null);
  const [problems, setProblems] = useState<string[]>([]);
  const [progress, setProgress] = useState(0);
  const credit = pf.kind === 'CREDIT_NOTE';
  const what = credit ? 'facture d’avoir' : 'facture';

  const send = useMutation({
    mutationFn: (chosen: File) => {
      setProgress(0);
      return upload<ProFormaDetail>(`/api/pro-formas/${pf.number}/invoice`, chosen, setProgress);
    },
    onSuccess: (detail) => {
      notifications.show({
        color: 'green',
        title: credit ? 'Facture d’avoir envoyée' : 'Facture envoyée',
        message: `Votre ${what} a bien été envoyée à l’Opco pour instruction.`,
      });
      setFile(null);
      onDeposited(detail);
    },
  });

  const pick = (files: File[]) => {
    send.reset();
    const found = depositProblems(files);
    setProblems(found);
    setFile(found.length === 0 ? (files[0] ?? null) : null);
  };

  const headingId = `depot-${pf.number}`;
  useEffect(() => {
    if (scrollIntoView) document.getElementById(headingId)?.scrollIntoView({ block: 'start' });
  }, [scrollIntoView, headingId]);
  return (
    <Paper withBorder p="md" component="section" aria-labelledby={headingId} id="depot">
      <Stack gap="sm">
        <Group justify="space-between" wrap="wrap">
          <Title order={2} size="h3" id={headingId}>
            {newVersion ? `Modifier la ${what} de la pro forma` : `Joindre une ${what}`}
          </Title>
          {onClose && (
            <Button variant="subtle" onClick={onClose} disabled={send.isPending}>
              Fermer
            </Button>
          )}
        </Group>
        <Text>Afin d’éviter tout rejet de votre {what}, respectez le mode opératoire suivant :</Text>
        <List size="sm" spacing={2}>
          <List.Item>éditez votre propre {what} sur le modèle de la pro forma, sur votre papier en-tête ;</List.Item>
          <List.Item>
            indiquez votre propre numéro de {what}, en plus du rappel du numéro de la pro forma ({pf.number}) ;
          </List.Item>
          <List.Item>vérifiez que le montant total de votre {what} est celui de la pro forma ;</List.Item>
          <List.Item>
            indiquez votre SIRET et vos coordonnées bancaires s’ils ne figurent pas sur votre en-tête.
          </List.Item>
        </List>
        <Dropzone
          onDrop={() => undefined}
          onDropAny={(accepted, rejected) => pick([...accepted, ...rejected.map((r) => r.file)])}
          openRef={openRef}
          multiple={false}
          accept={[...ACCEPTED_MIME_TYPES]}
          activateOnKeyboard={false}
          disabled={send.isPending}
          inputProps={{ 'aria-label': `Fichier de la ${what}` }}
          p="lg"
        >
          <Stack align="center" gap={4} style={{ pointerEvents: 'none' }}>
            <Dropzone.Accept>
              <Text fw={600}>Déposez le fichier ici</Text>
            </Dropzone.Accept>
            <Dropzone.Reject>
              <Text fw={600} c="red.9">
                Ce fichier ne sera pas accepté
              </Text>
            </Dropzone.Reject>
            <Dropzone.Idle>
              <Text fw={600}>Glissez votre {what} ici, ou cliquez pour choisir un fichier</Text>
            </Dropzone.Idle>
            <Text size="sm" c="dimmed" ta="center" id={`${headingId}-rules`}>
              Vous pouvez choisir un fichier {EXTENSIONS_TEXT}. La taille maximum autorisée est de {MAX_MB} Mo. Le nom
              du fichier ne doit pas dépasser {MAX_FILE_NAME_CHARS} caractères (extension comprise).
            </Text>
          </Stack>
        </Dropzone>
        <Group gap="xs" wrap="wrap">
          <Button variant="default" onClick={() => openRef.current?.()} disabled={send.isPending}>
            Choisir un fichier
          </Button>
          {file && (
            <Text size="sm">
              Fichier choisi : <strong>{sanitizeFileName(file.name)}</strong> ({bytes(file.size)})
            </Text>
          )}
          {file && !send.isPending && (
            <Button variant="subtle" size="compact-sm" onClick={() => setFile(null)}>
              Retirer le fichier
            </Button>
          )}
        </Group>
        {problems.length > 0 && (
          <Alert color="red" title="Ce fichier ne peut pas être déposé" role="alert">
            <List size="sm">
              {problems.map((p) => (
                <List.Item key={p}>{p}</List.Item>
              ))}
            </List>
          </Alert>
        )}
        <ErrorMessage error={send.error} title={refusalTitle(send.error)} />
        {send.isPending && (
          <Stack gap={4}>
            <Progress value={Math.round(progress * 100)} aria-label={`Envoi de la ${what}`} animated />
            <Text size="sm" aria-live="polite">
              Envoi en cours… {Math.round(progress * 100)} %
            </Text>
          </Stack>
        )}
        <Group justify="flex-end">
          <Button disabled={!file} loading={send.isPending} onClick={() => file && send.mutate(file)}>
            {`Envoyer la ${what}`}
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}
