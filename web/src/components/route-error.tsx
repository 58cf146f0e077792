import { Alert, Anchor, Center, Stack } from '@mantine/core';
import { useEffect } from 'react';
import { Link, useRouteError } from 'react-router';

/**
 * A page that failed to render: said in French, with a way back; the error goes to the console (the browser tests
 * fail on it) instead of React Router's developer page.
 */
export function RouteError() {
  const error = useRouteError();
  useEffect(() => {
    console.error('page error', error);
  }, [error]);
  return (
    <Center p="xl" component="main">
      <Stack maw={560}>
        <Alert color="red" title="Cette page n’a pas pu s’afficher" role="alert">
          Une erreur inattendue est survenue. Rechargez la page ; si elle se reproduit, signalez-la avec l’adresse de la
          page.
        </Alert>
        <Anchor component={Link} to="/">
          Retour à l’accueil
        </Anchor>
      </Stack>
    </Center>
  );
}
