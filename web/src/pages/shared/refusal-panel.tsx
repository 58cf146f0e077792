import { Alert, Blockquote, Button, Group, List, Loader, Stack, Text } from '@mantine/core';
import { DownloadButton } from '../../components/download-button';
import { refusalPdfPath, type Abilities } from './actions';
import { Facts, Section } from './detail-sections';
import { ORIGIN_LABELS } from './labels';
import type { ProFormaDetail } from './types';

/**
 * The guide's « Motif de refus » screen (1.2.2): who refused (the automatic controls or a validator), the reason,
 * the validator's comment, the letter, its PDF, and the two ways out: « Modifier ma facture » (a new version) and
 * « Annuler la pro forma » (the contracts become eligible again).
 */
export function RefusalPanel({
  pf,
  abilities,
  onRedeposit,
  onCancel,
}: {
  pf: ProFormaDetail;
  abilities: Abilities;
  onRedeposit(): void;
  onCancel(): void;
}) {
  const { refusal } = pf;
  return (
    <Section
      title="Motif de refus"
      id="refus"
      actions={
        <DownloadButton path={refusalPdfPath(pf.number)} fallbackName={`refus-${pf.number}.pdf`}>
          Lettre de refus (PDF)
        </DownloadButton>
      }
    >
      {!refusal ? (
        <Group gap="xs">
          <Loader size="sm" aria-hidden />
          <Text>Le refus est en cours d’enregistrement…</Text>
        </Group>
      ) : (
        <Stack gap="sm">
          <Facts
            items={[
              ['Motif de refus', refusal.label],
              ['Origine', ORIGIN_LABELS[refusal.origin]],
            ]}
          />
          {refusal.comment && (
            <Alert color="orange" variant="light" title="Commentaire du valideur">
              {refusal.comment}
            </Alert>
          )}
          <Blockquote color="gray" p="md" aria-label="Lettre de refus">
            <Text style={{ whiteSpace: 'pre-line' }}>{refusal.letter}</Text>
          </Blockquote>
        </Stack>
      )}
      {(abilities.redeposit || abilities.cancel) && (
        <Stack gap="xs">
          <Text fw={600}>Actions possibles :</Text>
          <List size="sm">
            {abilities.redeposit && (
              <List.Item>pour que votre pro forma soit de nouveau traitée, déposez une nouvelle facture ;</List.Item>
            )}
            {abilities.cancel && (
              <List.Item>
                vous pouvez aussi annuler cette pro forma : les contrats redeviennent éligibles à une nouvelle pro
                forma.
              </List.Item>
            )}
          </List>
          <Group gap="xs">
            {abilities.redeposit && <Button onClick={onRedeposit}>Modifier ma facture</Button>}
            {abilities.cancel && (
              <Button color="red" variant="outline" onClick={onCancel}>
                Annuler la pro forma
              </Button>
            )}
          </Group>
        </Stack>
      )}
    </Section>
  );
}
