import {
  Alert,
  Anchor,
  Button,
  Center,
  Code,
  CopyButton,
  Paper,
  PasswordInput,
  Stack,
  Text,
  Title,
} from '@mantine/core';
import { useEffect, useState, type FormEvent } from 'react';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';
import { post } from '../api';
import { ErrorMessage } from '../components/page';
import { useSession } from '../session';

/** Where a user lands after signing in: the page it asked for, else its role's home. */
function safeReturn(target: string | null): string {
  return target && target.startsWith('/') && !target.startsWith('//') ? target : '/';
}

function Frame({ title, children }: { title: string; children: React.ReactNode }) {
  useEffect(() => {
    document.title = `${title} — Factures CFA`;
  }, [title]);
  return (
    <Center mih="100vh" p="md" bg="gray.0" component="main">
      <Paper withBorder shadow="sm" p="xl" w="100%" maw={460}>
        <Stack>
          <Title order={1} size="h2">
            {title}
          </Title>
          {children}
        </Stack>
      </Paper>
    </Center>
  );
}

/** Sign-in with the user's token (the one an administrator or an invitation gave). */
export function LoginPage() {
  const { user, signIn } = useSession();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  if (user) return <Navigate to={safeReturn(params.get('retour'))} replace />;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(token);
      void navigate(safeReturn(params.get('retour')), { replace: true });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Frame title="Connexion">
      <Text size="sm">
        Saisissez le jeton d’accès que vous avez reçu (invitation ou administrateur). La session reste ouverte dans ce
        navigateur jusqu’à la déconnexion.
      </Text>
      <form onSubmit={submit}>
        <Stack>
          <PasswordInput
            label="Jeton d’accès"
            value={token}
            onChange={(e) => setToken(e.currentTarget.value)}
            required
            autoComplete="current-password"
            data-autofocus
          />
          <ErrorMessage error={error} title="Connexion refusée" />
          <Button type="submit" loading={busy}>
            Se connecter
          </Button>
        </Stack>
      </form>
    </Frame>
  );
}

interface Accepted {
  token: string;
  user: { name: string };
}

/** The invitation link (`/invitation#<secret>`): accepts it, shows the API token once, opens the session. */
export function InvitationPage() {
  const { signIn } = useSession();
  const [accepted, setAccepted] = useState<Accepted | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const secret = window.location.hash.replace(/^#/, '');

  const accept = async () => {
    setBusy(true);
    setError(null);
    try {
      const result = await post<Accepted>('/api/invitations/accept', { token: secret });
      await signIn(result.token);
      setAccepted(result);
      // The secret is spent: it leaves the address bar.
      window.history.replaceState(null, '', '/invitation');
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  if (accepted) {
    return (
      <Frame title={`Bienvenue, ${accepted.user.name}`}>
        <Text size="sm">Votre accès est ouvert. Voici votre jeton pour l’API, montré une seule fois :</Text>
        <Code block style={{ wordBreak: 'break-all' }}>
          {accepted.token}
        </Code>
        <CopyButton value={accepted.token}>
          {({ copied, copy }) => (
            <Button variant="default" onClick={copy}>
              {copied ? 'Jeton copié' : 'Copier le jeton'}
            </Button>
          )}
        </CopyButton>
        <Button component={Link} to="/">
          Accéder à mon espace
        </Button>
      </Frame>
    );
  }
  return (
    <Frame title="Invitation">
      {secret ? (
        <>
          <Text size="sm">Acceptez l’invitation pour ouvrir votre accès. Le lien ne sert qu’une fois.</Text>
          <ErrorMessage error={error} title="Invitation refusée" />
          <Button onClick={accept} loading={busy}>
            Accepter l’invitation
          </Button>
        </>
      ) : (
        <Alert color="orange" title="Lien incomplet">
          Ouvrez le lien complet reçu par e-mail (il se termine par un code après « # »).
        </Alert>
      )}
      <Anchor component={Link} to="/connexion" size="sm">
        J’ai déjà un jeton : me connecter
      </Anchor>
    </Frame>
  );
}
