import { AppShell, Burger, Button, Group, NavLink, ScrollArea, Stack, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { Link, Navigate, Outlet, useLocation, useNavigate } from 'react-router';
import { ROLE_LABELS } from './labels';
import type { NavSection } from './nav';
import { useSession } from './session';

/** Every page behind the login: the header (who, sign-out), the navigation the user's rights allow, the page. */
export function Shell({ sections }: { sections: NavSection[] }) {
  const { user, can, signOut } = useSession();
  const [opened, { toggle, close }] = useDisclosure();
  const location = useLocation();
  const navigate = useNavigate();
  if (!user) {
    return <Navigate to={`/connexion?retour=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  }
  const visible = sections
    .map((section) => ({
      ...section,
      items: section.items.filter((item) => can(item.right) && (!item.roles || item.roles.includes(user.role))),
    }))
    .filter((section) => section.items.length > 0);
  // The one link of the page: the longest that holds the address (« Paiements » on /admin/paiements/…, not /admin).
  const holds = (to: string) => location.pathname === to || location.pathname.startsWith(`${to}/`);
  const current = visible
    .flatMap((section) => section.items.map((item) => item.to))
    .filter(holds)
    .sort((a, b) => b.length - a.length)[0];
  const active = (to: string) => to === current;

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 250, breakpoint: 'md', collapsed: { mobile: !opened } }}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger
              opened={opened}
              onClick={toggle}
              hiddenFrom="md"
              size="sm"
              aria-label={opened ? 'Fermer le menu' : 'Ouvrir le menu'}
            />
            <Text component={Link} to="/" fw={700} size="lg" c="indigo.9" style={{ textDecoration: 'none' }}>
              Factures CFA
            </Text>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <Stack gap={0} align="flex-end" visibleFrom="sm">
              <Text size="sm" fw={600}>
                {user.name}
              </Text>
              <Text size="xs" c="dimmed">
                {ROLE_LABELS[user.role]}
                {user.cfas.length > 0 ? ` · ${user.cfas.map((c) => c.name).join(', ')}` : ''}
              </Text>
            </Stack>
            <Button
              variant="default"
              size="xs"
              onClick={async () => {
                await signOut();
                void navigate('/connexion');
              }}
            >
              Se déconnecter
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Navigation principale">
        <ScrollArea>
          {visible.map((section) => (
            <Stack key={section.title} gap={2} mb="md">
              <Text size="xs" fw={700} c="dimmed" tt="uppercase" px="sm" component="h2" m={0}>
                {section.title}
              </Text>
              {section.items.map((item) => (
                <NavLink
                  key={item.to}
                  component={Link}
                  to={item.to}
                  label={item.label}
                  active={active(item.to)}
                  aria-current={active(item.to) ? 'page' : undefined}
                  onClick={close}
                />
              ))}
            </Stack>
          ))}
        </ScrollArea>
      </AppShell.Navbar>
      {/* AppShell.Main is the page's <main>. */}
      <AppShell.Main>
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}
