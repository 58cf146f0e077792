/**
 * The recap of a selection of eligible installments and its generation (Opco EP guide, « Générer une facture pro
 * forma »): included and excluded counts, invoice, credit-note and total amounts, as POST /api/pro-formas/preview
 * computes them; then the confirmation (what will be generated, the credit note's settlement mode), the generation
 * with the preview's token (a selection changed meanwhile is refused by the API, 409, shown in words) and the
 * generated pro formas with their links and PDF downloads.
 */
import {
  Alert,
  Anchor,
  Button,
  Group,
  List,
  Loader,
  Modal,
  Paper,
  Radio,
  SimpleGrid,
  Skeleton,
  Stack,
  Text,
  Title,
} from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { post } from '../../api';
import { DownloadButton } from '../../components/download-button';
import { ErrorMessage } from '../../components/page';
import { count, money } from '../../format';
import { costNatureLabel, generateLabel, KIND_LABELS, plural, SETTLEMENT_HELP, SETTLEMENT_LABELS } from './labels';
import type {
  CostNature,
  Eligible,
  GenerateBody,
  Generated,
  GeneratedProForma,
  GenerationPreview,
  SettlementMode,
} from './types';

/** The recap of a selection; with the settlement mode the generation will send, or its token would not match. */
export const previewSelection = (selection: GenerateBody) =>
  post<GenerationPreview>('/api/pro-formas/preview', selection);

/** One figure of the recap: its label above, its value large. */
function Figure({ label, value }: { label: string; value: ReactNode }) {
  return (
    <Stack gap={2}>
      <Text size="xs" fw={700} tt="uppercase" c="dimmed">
        {label}
      </Text>
      <Text fw={700} fz="lg" className="amount" ta="left">
        {value}
      </Text>
    </Stack>
  );
}

/** The five figures of a preview (or skeletons of their size while it loads). */
export function RecapFigures({ preview }: { preview: GenerationPreview | undefined }) {
  const figures: [string, string | undefined][] = [
    ['Incluses', preview && count(preview.included.count)],
    ['Exclues', preview && count(preview.excluded.count)],
    ['Montant facture', preview && money(preview.recap.invoiceCents)],
    ['Montant facture d’avoir', preview && money(preview.recap.creditCents)],
    ['Montant total', preview && money(preview.recap.totalCents)],
  ];
  return (
    <SimpleGrid cols={{ base: 2, sm: 3, lg: 5 }} spacing="md">
      {figures.map(([label, value]) => (
        <Figure key={label} label={label} value={value ?? <Skeleton height={24} width={90} component="span" />} />
      ))}
    </SimpleGrid>
  );
}

/** For a user who may not generate: the figures of the whole search (the list's own recap). */
export function SearchRecap({ nature, recap }: { nature: CostNature; recap: Eligible['recap'] | undefined }) {
  const titleId = useId();
  const figures: [string, string | undefined][] = [
    ['Échéances', recap && count(recap.count)],
    ['Montant facture', recap && money(recap.invoiceCents)],
    ['Montant facture d’avoir', recap && money(recap.creditCents)],
    ['Montant total', recap && money(recap.totalCents)],
  ];
  return (
    <Paper withBorder p="md" component="section" aria-labelledby={titleId}>
      <Stack gap="sm">
        <Title order={2} size="h4" id={titleId}>
          Récapitulatif de la recherche : {costNatureLabel(nature).toLowerCase()}
        </Title>
        <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="md">
          {figures.map(([label, value]) => (
            <Figure key={label} label={label} value={value ?? <Skeleton height={24} width={90} component="span" />} />
          ))}
        </SimpleGrid>
        <Text size="sm">Vos droits permettent de consulter les échéances, pas de générer de pro forma.</Text>
      </Stack>
    </Paper>
  );
}

/** The recap under the list: the selection's figures, why some are excluded, and the generate button. */
export function SelectionRecap({
  nature,
  selectedCount,
  preview,
  loading,
  error,
  onGenerate,
}: {
  nature: CostNature;
  /** Undefined while the search's results load. */
  selectedCount: number | undefined;
  preview: GenerationPreview | undefined;
  loading: boolean;
  error: unknown;
  onGenerate(): void;
}) {
  const titleId = useId();
  const shown = selectedCount ? preview : undefined;
  return (
    <Paper withBorder p="md" component="section" aria-labelledby={titleId} aria-busy={loading}>
      <Stack gap="sm">
        <Group justify="space-between" wrap="wrap">
          <div>
            <Text size="sm" fw={600}>
              Acompte {costNatureLabel(nature).toLowerCase()}
            </Text>
            <Title order={2} size="h4" id={titleId}>
              Récapitulatif des échéances éligibles pour facturation
            </Title>
          </div>
          {loading && <Loader size="sm" role="status" aria-label="Calcul du récapitulatif" />}
        </Group>
        {selectedCount === 0 ? (
          <Text>Aucune échéance sélectionnée : cochez les échéances à inclure dans la pro forma.</Text>
        ) : (
          <RecapFigures preview={shown} />
        )}
        {shown && shown.excluded.byReason.length > 0 && (
          <Text size="sm">
            Exclues : {shown.excluded.byReason.map((r) => `${r.label.toLowerCase()} (${count(r.count)})`).join(', ')}.
          </Text>
        )}
        <ErrorMessage error={error} title="Récapitulatif indisponible" />
        <Group>
          <Button onClick={onGenerate} disabled={!selectedCount}>
            {generateLabel(nature)}
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}

const proFormaPdf = (number: string) => `/api/pro-formas/${number}/document.pdf`;

const ADVICE = [
  'Éditez votre propre facture sur le modèle de la pro forma, sur votre papier en-tête.',
  'Indiquez votre propre numéro de facture, en rappelant le numéro de la pro forma.',
  'Vérifiez que le montant total de votre facture est celui de la pro forma générée.',
  'Indiquez votre SIRET et vos coordonnées bancaires s’ils ne figurent pas sur votre papier en-tête.',
];

function GeneratedList({ proFormas }: { proFormas: GeneratedProForma[] }) {
  const several = proFormas.length > 1;
  return (
    <Stack gap="sm">
      <Alert color="teal" bg="teal.0" title="Génération terminée !" role="status">
        {several ? 'Vous pouvez télécharger les pro formas générées.' : 'Vous pouvez télécharger la pro forma générée.'}
      </Alert>
      <Stack gap="xs" component="ul" aria-label="Pro formas générées" p={0} m={0} style={{ listStyle: 'none' }}>
        {proFormas.map((p) => (
          <Paper key={p.number} withBorder p="sm" component="li">
            <Group justify="space-between" wrap="wrap" gap="xs">
              <div>
                <Anchor component={Link} to={`/pro-formas/${p.number}`} fw={600}>
                  Pro forma {p.number}
                </Anchor>
                <Text size="sm">
                  {KIND_LABELS[p.kind]} · {money(p.totalCents)} ({plural(p.lineCount, 'dossier')})
                  {p.settlementMode ? ` · règlement par ${SETTLEMENT_LABELS[p.settlementMode].toLowerCase()}` : ''}
                </Text>
              </div>
              <DownloadButton
                path={proFormaPdf(p.number)}
                fallbackName={`${p.number}.pdf`}
                size="xs"
                variant="light"
                aria-label={`Télécharger la pro forma ${p.number}`}
              >
                Télécharger
              </DownloadButton>
            </Group>
          </Paper>
        ))}
      </Stack>
      <Text size="sm">
        Vous les retrouvez aussi dans{' '}
        <Anchor component={Link} to="/pro-formas">
          Mes pro formas
        </Anchor>
        , où vous joindrez ensuite votre facture{several ? ' à chacune' : ''}. Pour éviter tout rejet :
      </Text>
      <List size="sm" spacing={2}>
        {ADVICE.map((a) => (
          <List.Item key={a}>{a}</List.Item>
        ))}
      </List>
    </Stack>
  );
}

/** What the selection will make: one line per pro forma of the preview. */
function Planned({ preview }: { preview: GenerationPreview }) {
  if (preview.proFormas.length === 0) return null;
  return (
    <Stack gap={4}>
      <Text fw={600}>
        {preview.proFormas.length > 1 ? 'Deux pro formas seront générées :' : 'Une pro forma sera générée :'}
      </Text>
      <List size="sm" spacing={2}>
        {preview.proFormas.map((p) => (
          <List.Item key={p.kind}>
            {KIND_LABELS[p.kind]} pro forma {costNatureLabel(p.nature).toLowerCase()} : {money(p.totalCents)} (
            {plural(p.lineCount, 'échéance')})
          </List.Item>
        ))}
      </List>
    </Stack>
  );
}

function SettlementChoice({ value, onChange }: { value: SettlementMode; onChange(mode: SettlementMode): void }) {
  return (
    <Radio.Group
      label="Mode de règlement de la facture d’avoir"
      description="La modification ne s’applique qu’à cette pro forma ; le mode par défaut se règle dans « Mon CFA »."
      value={value}
      onChange={(v) => onChange(v as SettlementMode)}
    >
      <Group mt="xs">
        <Radio value="DEDUCTION" label={SETTLEMENT_LABELS.DEDUCTION} />
        <Radio value="REMBOURSEMENT" label={SETTLEMENT_LABELS.REMBOURSEMENT} />
      </Group>
      <Text size="sm" mt={4}>
        {SETTLEMENT_HELP[value]}
      </Text>
    </Radio.Group>
  );
}

/**
 * The confirmation: a fresh preview of the selection when it opens (its token goes with the generation), then the
 * generated pro formas. Mounted only while open (its state starts over each time). After a refusal (409: the
 * selection changed meanwhile) the lists are refreshed, and the user goes back to the selection.
 */
export function GenerateModal({
  cfaId,
  nature,
  installmentIds,
  onClose,
}: {
  /** The CFA a user of several acts for (undefined: the user's only CFA). */
  cfaId: string | undefined;
  nature: CostNature;
  installmentIds: string[];
  onClose(): void;
}) {
  const client = useQueryClient();
  const [settlement, setSettlement] = useState<SettlementMode | null>(null);
  const preview = useMutation({
    mutationFn: (mode: SettlementMode | undefined) =>
      previewSelection({ cfaId, nature, installmentIds, settlementMode: mode }),
  });
  const generate = useMutation({
    mutationFn: (body: GenerateBody) => post<Generated>('/api/pro-formas', body),
    onSettled: () => {
      for (const key of ['eligible', 'eligible-ids', 'preview', 'dashboard', 'pro-formas', 'contracts']) {
        void client.invalidateQueries({ queryKey: [key] });
      }
    },
  });
  const { mutate: refresh } = preview;
  useEffect(() => refresh(undefined), [refresh]);

  const data = preview.data;
  const credit = data?.proFormas.find((p) => p.kind === 'CREDIT_NOTE');
  const mode = settlement ?? credit?.settlementMode ?? 'DEDUCTION';
  const confirm = () => {
    if (!data) return;
    generate.mutate({
      cfaId,
      nature,
      installmentIds,
      previewToken: data.previewToken,
      // The preview was computed with the same mode: its token matches.
      ...(settlement !== null ? { settlementMode: settlement } : {}),
    });
  };
  const choose = (next: SettlementMode) => {
    setSettlement(next);
    refresh(next);
  };

  return (
    <Modal
      opened
      onClose={onClose}
      closeButtonProps={{ 'aria-label': 'Fermer la fenêtre' }}
      title={generateLabel(nature)}
      size="lg"
      centered
    >
      {generate.data ? (
        <Stack>
          <GeneratedList proFormas={generate.data.proFormas} />
          <Group justify="flex-end">
            <Button onClick={onClose}>Fermer</Button>
          </Group>
        </Stack>
      ) : (
        <Stack>
          <Text fw={600}>
            Récapitulatif de votre sélection d’échéances éligibles pour facturation :{' '}
            {costNatureLabel(nature).toLowerCase()}
          </Text>
          <RecapFigures preview={data} />
          <ErrorMessage error={preview.error} title="Récapitulatif indisponible" />
          {data && <Planned preview={data} />}
          {data?.blocking && (
            <Alert color="orange" title="Génération impossible en l’état" role="alert">
              {data.blocking.message}
            </Alert>
          )}
          {credit && <SettlementChoice value={mode} onChange={choose} />}
          <Text size="sm">
            La pro forma est le modèle de la facture que vous établirez sur votre papier en-tête. Une sélection mêlant
            montants positifs et négatifs (trop-perçu après une rupture) donne deux pro formas : une facture et une
            facture d’avoir.
          </Text>
          <ErrorMessage error={generate.error} title="La génération n’a pas abouti" />
          <Group justify="flex-end" gap="xs">
            <Button variant="default" onClick={onClose}>
              {generate.error !== null ? 'Revenir à la sélection' : 'Fermer'}
            </Button>
            <Button
              onClick={confirm}
              loading={generate.isPending}
              disabled={!data || !data.generable || preview.isPending || generate.error !== null}
            >
              Générer
            </Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}
