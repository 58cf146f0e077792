/**
 * The contracts import (`/admin/contrats`): the Excel template to fill (one row per installment), the workbook sent
 * with its progress (POST /api/admin/imports/contracts), and the report: rows imported, unchanged (a re-import creates
 * nothing twice), and each refused row with its number and reason.
 */
import { Alert, List, Stack, Text } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import type { z } from 'zod';
import type { importReportResponse } from '../../../../api/schemas/admin';
import { upload } from '../../api';
import { ErrorMessage, Page } from '../../components/page';
import { ListTable } from '../../components/table';
import { count } from '../../format';
import { DownloadButton, Section, UploadZone } from './common';

type ImportReport = z.output<typeof importReportResponse>;

const plural = (n: number, one: string, many: string) => `${count(n)} ${n > 1 ? many : one}`;

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

function Report({ report, fileName }: { report: ImportReport; fileName: string }) {
  return (
    <Section title={`Compte rendu de l’import de ${fileName}`}>
      <Alert color={report.rejected.length > 0 ? 'orange' : 'teal'} role="status">
        {plural(report.imported, 'échéance importée', 'échéances importées')},{' '}
        {plural(report.unchanged, 'déjà présente', 'déjà présentes')} à l’identique,{' '}
        {plural(report.rejected.length, 'ligne refusée', 'lignes refusées')}.
      </Alert>
      {report.rejected.length > 0 && (
        <ListTable
          caption="Lignes refusées"
          columns={[
            { key: 'row', header: 'Ligne', cell: (r) => r.row, numeric: true, width: 80 },
            { key: 'error', header: 'Motif', cell: (r) => r.error },
          ]}
          rows={report.rejected}
          rowKey={(r) => String(r.row)}
        />
      )}
    </Section>
  );
}

export function ContractsImportPage() {
  const [progress, setProgress] = useState<number | null>(null);
  const importing = useMutation({
    mutationFn: async (file: File) => {
      setProgress(0);
      try {
        return {
          fileName: file.name,
          report: await upload<ImportReport>('/api/admin/imports/contracts', file, setProgress),
        };
      } finally {
        setProgress(null);
      }
    },
  });
  return (
    <Page
      title="Import des contrats"
      actions={
        <DownloadButton path="/api/admin/imports/contracts/template.xlsx" fallbackName="modele-import-contrats.xlsx">
          Télécharger le modèle Excel
        </DownloadButton>
      }
    >
      <Section title="Importer un classeur">
        <Stack gap="xs">
          <Text size="sm">
            Le classeur suit le modèle : une ligne par échéance, le contrat répété sur chaque ligne.
          </Text>
          <List size="sm">
            <List.Item>Une ligne refusée (avec son numéro et le motif) ne bloque pas les autres.</List.Item>
            <List.Item>Réimporter les mêmes lignes ne crée rien en double.</List.Item>
          </List>
        </Stack>
        <UploadZone
          label="Déposer le classeur des contrats"
          rules="Classeur Excel .xlsx, 10 Mo au plus."
          accept={[XLSX]}
          progress={progress}
          onFile={(file) => importing.mutate(file)}
        />
        <ErrorMessage error={importing.error} title="Import refusé" />
      </Section>
      {importing.data && <Report report={importing.data.report} fileName={importing.data.fileName} />}
    </Page>
  );
}
