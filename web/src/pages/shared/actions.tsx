import { Button, Group, Menu, Modal, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { allowedActions } from '../../../../domain/process';
import { post } from '../../api';
import { downloadWithNotice } from '../../components/download-button';
import { ErrorMessage } from '../../components/page';
import { useSession } from '../../session';
import type { ProFormaDetail, ProFormaSummary } from './types';

/**
 * What a user may do with a pro forma where it stands (the guide's per-status action menu): the status allows it
 * (domain/process.ts, the rules the API applies) and the user holds the right. The list's menu and the detail's
 * buttons read the same answer; the API refuses anyway what is not allowed.
 */

export const proFormaPath = (number: string) => `/pro-formas/${number}`;
export const pdfPath = (number: string) => `/api/pro-formas/${number}/document.pdf`;
export const refusalPdfPath = (number: string) => `/api/pro-formas/${number}/refusal.pdf`;
export const paymentAdvicePath = (number: string) => `/api/pro-formas/${number}/payment-advice.pdf`;
export const contractsPath = (number: string) => `/api/pro-formas/${number}/contracts.xlsx`;

export interface Abilities {
  deposit: boolean;
  /** A new version of an invoice already deposited (« Modifier ma facture »). */
  redeposit: boolean;
  cancel: boolean;
  exportContracts: boolean;
  refusalLetter: boolean;
  paymentAdvice: boolean;
}

export function useAbilities(pf: Pick<ProFormaSummary, 'status' | 'stage'> | undefined): Abilities {
  const { can } = useSession();
  if (!pf) {
    return {
      deposit: false,
      redeposit: false,
      cancel: false,
      exportContracts: false,
      refusalLetter: false,
      paymentAdvice: false,
    };
  }
  const allowed = allowedActions({ status: pf.status, stage: pf.stage });
  const depositable = allowed.includes('DEPOSIT_INVOICE') && can('pro-formas:deposit');
  return {
    deposit: depositable && pf.status === 'AWAITING_INVOICE',
    redeposit: depositable && pf.status !== 'AWAITING_INVOICE',
    cancel: allowed.includes('CANCEL') && can('pro-formas:cancel'),
    exportContracts: allowed.includes('EXPORT_CONTRACTS'),
    refusalLetter: pf.status === 'REFUSED',
    paymentAdvice: pf.status === 'PAID',
  };
}

/** « Déposer la facture » or, for a credit note, « Déposer la facture d’avoir ». */
export const depositLabel = (kind: ProFormaSummary['kind']) =>
  kind === 'CREDIT_NOTE' ? 'Déposer la facture d’avoir' : 'Déposer la facture';

/** The list's « Actions » menu of one pro forma. */
export function RowActions({ pf }: { pf: ProFormaSummary }) {
  const navigate = useNavigate();
  const abilities = useAbilities(pf);
  const [cancelling, setCancelling] = useState(false);
  const detail = proFormaPath(pf.number);
  return (
    <>
      <Menu position="bottom-end" withinPortal shadow="md">
        <Menu.Target>
          <Button size="compact-sm" variant="default" aria-label={`Actions pour ${pf.number}`}>
            Actions ▾
          </Button>
        </Menu.Target>
        <Menu.Dropdown>
          <Menu.Item onClick={() => void navigate(detail)}>Voir la pro forma</Menu.Item>
          <Menu.Item onClick={() => void downloadWithNotice(pdfPath(pf.number), `${pf.number}.pdf`)}>
            Télécharger la pro forma (PDF)
          </Menu.Item>
          {abilities.exportContracts && (
            <Menu.Item onClick={() => void downloadWithNotice(contractsPath(pf.number), `contrats-${pf.number}.xlsx`)}>
              Exporter les contrats concernés
            </Menu.Item>
          )}
          {abilities.deposit && (
            <Menu.Item onClick={() => void navigate(`${detail}?depot=1`)}>{depositLabel(pf.kind)}</Menu.Item>
          )}
          {abilities.redeposit && (
            <Menu.Item onClick={() => void navigate(`${detail}?depot=1`)}>Modifier ma facture</Menu.Item>
          )}
          {pf.status === 'REFUSED' && (
            <Menu.Item onClick={() => void navigate(`${detail}#refus`)}>Voir le motif de refus</Menu.Item>
          )}
          {abilities.refusalLetter && (
            <Menu.Item onClick={() => void downloadWithNotice(refusalPdfPath(pf.number), `refus-${pf.number}.pdf`)}>
              Lettre de refus (PDF)
            </Menu.Item>
          )}
          {abilities.paymentAdvice && (
            <Menu.Item
              onClick={() => void downloadWithNotice(paymentAdvicePath(pf.number), `avis-de-paiement-${pf.number}.pdf`)}
            >
              Avis de paiement (PDF)
            </Menu.Item>
          )}
          {abilities.cancel && (
            <Menu.Item color="red" onClick={() => setCancelling(true)}>
              Annuler la pro forma
            </Menu.Item>
          )}
        </Menu.Dropdown>
      </Menu>
      <CancelModal number={pf.number} opened={cancelling} onClose={() => setCancelling(false)} />
    </>
  );
}

/**
 * The guide's confirmation before a cancellation: the contracts become eligible again. On success the pro forma's
 * detail is the API's answer and the lists are refreshed.
 */
export function CancelModal({ number, opened, onClose }: { number: string; opened: boolean; onClose(): void }) {
  const client = useQueryClient();
  const mutation = useMutation({
    mutationFn: () => post<ProFormaDetail>(`/api/pro-formas/${number}/cancel`),
    onSuccess: async (detail) => {
      client.setQueryData(['pro-forma', number], detail);
      notifications.show({ color: 'green', title: 'Pro forma annulée', message: `${number} : ${detail.statusLabel}.` });
      onClose();
      await client.invalidateQueries({ queryKey: ['pro-formas'] });
    },
  });
  const close = () => {
    mutation.reset();
    onClose();
  };
  return (
    <Modal opened={opened} onClose={close} title={`Annuler la pro forma ${number} ?`} centered>
      <Stack>
        <Text>
          Cette action rendra les contrats de nouveau éligibles à la génération d’une nouvelle facture pro forma. Elle
          ne peut pas être défaite.
        </Text>
        <ErrorMessage error={mutation.error} title="Annulation impossible" />
        <Group justify="flex-end">
          <Button variant="default" onClick={close} disabled={mutation.isPending}>
            Ne pas annuler
          </Button>
          <Button color="red" loading={mutation.isPending} onClick={() => mutation.mutate()}>
            Confirmer l’annulation
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
