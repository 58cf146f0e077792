import { Button, type ButtonProps } from '@mantine/core';
import { useState, type ReactNode } from 'react';
import { notifications } from '@mantine/notifications';
import { ApiError, download } from '../api';

/**
 * Downloads a file of the API (a PDF, an export) under the name the API gives it; the button shows it is working,
 * and an API error (a document the status does not have yet, a too large export…) is told in a notification.
 */
export async function downloadWithNotice(path: string, fallbackName: string): Promise<void> {
  try {
    await download(path, fallbackName);
  } catch (error) {
    notifications.show({
      color: 'red',
      title: 'Téléchargement impossible',
      message: error instanceof ApiError ? error.explanation : String(error),
    });
  }
}

export function DownloadButton({
  path,
  fallbackName,
  children,
  ...props
}: ButtonProps & { path: string; fallbackName: string; children: ReactNode; 'aria-label'?: string }) {
  const [pending, setPending] = useState(false);
  return (
    <Button
      variant="default"
      {...props}
      loading={pending}
      onClick={async () => {
        setPending(true);
        try {
          await downloadWithNotice(path, fallbackName);
        } finally {
          setPending(false);
        }
      }}
    >
      {children}
    </Button>
  );
}
