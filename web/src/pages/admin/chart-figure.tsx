/**
 * A chart as a figure: its caption (the figure's accessible name) and a summary, the drawing (hidden from screen
 * readers: the numbers are given to them as a table instead), and that table, visually hidden.
 */
import { Paper, Stack, Text, Title } from '@mantine/core';
import { useId, type ReactNode } from 'react';

export interface FigureTable {
  columns: string[];
  rows: (string | number)[][];
}

export function ChartFigure({
  title,
  summary,
  table,
  children,
}: {
  title: string;
  /** One sentence read after the title: what the chart shows, in numbers. */
  summary: string;
  table: FigureTable;
  children: ReactNode;
}) {
  const id = useId();
  return (
    <Paper withBorder p="md" component="figure" m={0} aria-labelledby={`${id}-title`} aria-describedby={`${id}-sum`}>
      <Stack gap="xs">
        <figcaption>
          <Title order={3} size="h5" id={`${id}-title`}>
            {title}
          </Title>
          <Text size="sm" c="dimmed" id={`${id}-sum`}>
            {summary}
          </Text>
        </figcaption>
        <div aria-hidden="true" className="chart-drawing">
          {children}
        </div>
        <div className="visually-hidden">
          <table>
            <caption>{title}</caption>
            <thead>
              <tr>
                {table.columns.map((c) => (
                  <th key={c} scope="col">
                    {c}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {table.rows.map((row, i) => (
                <tr key={i}>
                  {row.map((cell, j) =>
                    j === 0 ? (
                      <th key={j} scope="row">
                        {cell}
                      </th>
                    ) : (
                      <td key={j}>{cell}</td>
                    ),
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Stack>
    </Paper>
  );
}
