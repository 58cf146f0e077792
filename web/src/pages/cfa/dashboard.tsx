/**
 * « Tableau de bord » of a CFA user: the five counters of the EDF OA portal (émises, transmises, refusées, rejetées,
 * prises en charge) with the time a pro forma last entered each, every counter a link to the list filtered on its
 * category (`/pro-formas?category=…`, the API list's own filter), and the shortcuts to generate and to the list.
 */
import { Anchor, Button, Group, Paper, SimpleGrid, Skeleton, Stack, Text, Title } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { get } from '../../api';
import { ErrorMessage, Page } from '../../components/page';
import { count, dateTime } from '../../format';
import { useSession } from '../../session';
import type { Dashboard, DashboardCounter } from './types';
import './cfa.css';

/** What each category holds, in the words of the EDF OA guide. */
const HELP: Record<DashboardCounter['category'], string> = {
  EMISES: 'Factures déposées sur le portail',
  TRANSMISES: 'Factures conformes, validées ou payées',
  REFUSEES: 'Refusées par les contrôles automatiques',
  REJETEES: 'Rejetées par un valideur de l’Opco',
  PRISES_EN_CHARGE: 'Paiement émis ou payées',
};

/** The list of a category: the shared list page reads the API's own filter name from its address. */
export const categoryLink = (category: DashboardCounter['category']): string =>
  `/pro-formas?category=${encodeURIComponent(category)}`;

function CounterCard({ counter }: { counter: DashboardCounter }) {
  return (
    <Paper withBorder p="md" h="100%" component="li" className="cfa-counter">
      <Stack gap={4}>
        <Anchor component={Link} to={categoryLink(counter.category)} className="cfa-counter-link" underline="never">
          <Text component="span" display="block" fw={600} c="dark.9">
            {counter.label}
          </Text>
          <Text component="span" display="block" fz={36} fw={700} lh={1.1}>
            {count(counter.count)}
            <span className="visually-hidden"> {counter.count > 1 ? 'pro formas' : 'pro forma'}</span>
          </Text>
        </Anchor>
        <Text size="sm">{HELP[counter.category]}</Text>
        <Text size="xs" c="dimmed">
          {counter.updatedAt ? `Mis à jour le ${dateTime(counter.updatedAt)}` : 'Aucune pro forma pour l’instant'}
        </Text>
      </Stack>
    </Paper>
  );
}

export function DashboardPage() {
  const { can } = useSession();
  const dashboard = useQuery({
    queryKey: ['dashboard'],
    queryFn: () => get<Dashboard>('/api/dashboard'),
    placeholderData: keepPreviousData,
  });

  return (
    <Page
      title="Tableau de bord"
      actions={
        <Group gap="xs" wrap="wrap">
          {can('installments:read') && (
            <Button component={Link} to="/echeances">
              Générer une pro forma
            </Button>
          )}
          <Button component={Link} to="/pro-formas" variant="default">
            Mes pro formas
          </Button>
        </Group>
      }
    >
      <Title order={2} size="h4">
        Mes factures
      </Title>
      <Text size="sm">Cliquez sur un compteur pour consulter la liste des pro formas de la catégorie.</Text>
      <ErrorMessage error={dashboard.error} title="Compteurs indisponibles" />
      <SimpleGrid
        cols={{ base: 1, sm: 2, lg: 5 }}
        spacing="md"
        component="ul"
        aria-label="Compteurs des pro formas"
        p={0}
        m={0}
        style={{ listStyle: 'none' }}
      >
        {dashboard.data
          ? dashboard.data.counters.map((counter) => <CounterCard key={counter.category} counter={counter} />)
          : Array.from({ length: 5 }, (_, i) => <Skeleton key={i} height={150} radius="sm" component="li" />)}
      </SimpleGrid>
    </Page>
  );
}
