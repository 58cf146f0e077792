import { Button, Group, Kbd, Modal, Table, Text } from '@mantine/core';
import { Fragment } from 'react';

/** The invoice page's keyboard shortcuts: the list the help shows and the hint above the page. */

export const SHORTCUTS: { keys: string[]; label: string; short?: string }[] = [
  { keys: ['V'], label: 'Valider la facture', short: 'valider' },
  { keys: ['R'], label: 'Refuser la facture', short: 'refuser' },
  { keys: ['C'], label: 'Corriger une valeur lue', short: 'corriger' },
  { keys: ['N', 'J'], label: 'Page suivante du document', short: 'page suivante' },
  { keys: ['P', 'K'], label: 'Page précédente du document' },
  { keys: ['+'], label: 'Zoom avant', short: 'zoom' },
  { keys: ['-'], label: 'Zoom arrière' },
  { keys: ['0'], label: 'Document en pleine largeur' },
  { keys: ['?'], label: 'Afficher cette liste', short: 'tous les raccourcis' },
];

function Keys({ keys }: { keys: string[] }) {
  return (
    <>
      {keys.map((k, i) => (
        <Fragment key={k}>
          {i > 0 && ' ou '}
          <Kbd>{k}</Kbd>
        </Fragment>
      ))}
    </>
  );
}

/** One line listing the frequent shortcuts, and the button opening the whole list. */
export function ShortcutHint({ onShowAll }: { onShowAll(): void }) {
  const shown = SHORTCUTS.filter((s) => s.short);
  return (
    <Group gap="xs" wrap="wrap" aria-label="Raccourcis clavier" role="note">
      <Text size="sm">Raccourcis :</Text>
      {shown.map((s) => (
        <Text size="sm" key={s.label}>
          <Kbd>{s.keys[0]}</Kbd> {s.short}
        </Text>
      ))}
      <Button variant="subtle" size="compact-sm" onClick={onShowAll}>
        Raccourcis clavier
      </Button>
    </Group>
  );
}

export function ShortcutsModal({ opened, onClose }: { opened: boolean; onClose(): void }) {
  return (
    <Modal opened={opened} onClose={onClose} title="Raccourcis clavier" closeButtonProps={{ 'aria-label': 'Fermer' }}>
      <Text size="sm" mb="sm">
        Ils ne s’appliquent pas pendant la saisie dans un champ.
      </Text>
      <Table>
        <Table.Caption className="visually-hidden">Raccourcis clavier de la page</Table.Caption>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Touche</Table.Th>
            <Table.Th scope="col">Action</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {SHORTCUTS.map((s) => (
            <Table.Tr key={s.label}>
              <Table.Td>
                <Keys keys={s.keys} />
              </Table.Td>
              <Table.Td>{s.label}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Modal>
  );
}
