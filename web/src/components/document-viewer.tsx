import { ActionIcon, Alert, Box, Button, Group, Loader, Text } from '@mantine/core';
import { useElementSize } from '@mantine/hooks';
import * as pdfjs from 'pdfjs-dist';
import workerUrl from 'pdfjs-dist/build/pdf.worker.min.mjs?url';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { percent } from '../format';

/**
 * A deposited document shown in the page, as the validator reads it beside what the service read: a PDF rendered
 * by pdf.js (its worker from our own origin: the CSP allows worker-src 'self'), one page at a time on a canvas, with
 * page navigation; an image (JPEG, PNG, GIF) from a blob: URL. Both zoom from « fit the width » in steps, and scroll
 * inside their frame when larger. The state (page, zoom) lives in `useDocumentViewer()` so that the page can bind
 * keyboard shortcuts to it. Marks frame places of the page (where a value was read), over the page at any zoom.
 */

pdfjs.GlobalWorkerOptions.workerSrc = workerUrl;

/** Zoom steps, relative to the frame's width. */
export const ZOOM_LEVELS = [0.5, 0.75, 1, 1.25, 1.5, 2, 3] as const;
const FIT = ZOOM_LEVELS.indexOf(1);

export interface DocumentViewerState {
  page: number;
  pageCount: number;
  zoom: number;
  canZoomIn: boolean;
  canZoomOut: boolean;
  zoomIn(): void;
  zoomOut(): void;
  fitWidth(): void;
  nextPage(): void;
  previousPage(): void;
  goTo(page: number): void;
  /** Called by the viewer once the document is open. */
  opened(pageCount: number): void;
}

export function useDocumentViewer(): DocumentViewerState {
  const [zoomIndex, setZoomIndex] = useState(FIT);
  const [page, setPage] = useState(1);
  const [pageCount, setPageCount] = useState(0);
  const opened = useCallback((count: number) => {
    setPageCount(count);
    setPage(1);
  }, []);
  return useMemo(
    () => ({
      page,
      pageCount,
      zoom: ZOOM_LEVELS[zoomIndex] ?? 1,
      canZoomIn: zoomIndex < ZOOM_LEVELS.length - 1,
      canZoomOut: zoomIndex > 0,
      zoomIn: () => setZoomIndex((i) => Math.min(i + 1, ZOOM_LEVELS.length - 1)),
      zoomOut: () => setZoomIndex((i) => Math.max(i - 1, 0)),
      fitWidth: () => setZoomIndex(FIT),
      nextPage: () => setPage((p) => Math.min(p + 1, Math.max(pageCount, 1))),
      previousPage: () => setPage((p) => Math.max(p - 1, 1)),
      goTo: (target: number) => setPage(Math.min(Math.max(target, 1), Math.max(pageCount, 1))),
      opened,
    }),
    [page, pageCount, zoomIndex, opened],
  );
}

const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/gif'];

/** A place on a page, in fractions of the page's width and height from its top-left corner. */
export interface DocumentMark {
  id: string;
  /** What the mark frames (its tooltip). */
  label: string;
  page: number;
  left: number;
  top: number;
  width: number;
  height: number;
  /** `selected` is framed boldly and scrolled into view. */
  tone: 'selected' | 'warning' | 'plain';
}

const MARK_COLORS: Record<DocumentMark['tone'], { border: string; fill: string }> = {
  selected: { border: 'var(--mantine-color-blue-7)', fill: 'rgba(34, 139, 230, 0.18)' },
  warning: { border: '#8f3b00', fill: 'rgba(253, 126, 20, 0.12)' },
  plain: { border: 'var(--mantine-color-blue-4)', fill: 'transparent' },
};

/** The marks of one page, laid over it (their parent is the page's box, positioned). */
function Marks({ marks, page }: { marks: readonly DocumentMark[]; page: number }) {
  const selected = useRef<HTMLDivElement>(null);
  const selectedId = marks.find((m) => m.page === page && m.tone === 'selected')?.id;
  useEffect(() => {
    selected.current?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }, [selectedId, page]);
  return marks
    .filter((mark) => mark.page === page)
    .map((mark) => {
      const colors = MARK_COLORS[mark.tone];
      const pad = 0.004;
      return (
        <div
          key={mark.id}
          ref={mark.tone === 'selected' ? selected : undefined}
          data-mark={mark.id}
          data-tone={mark.tone}
          title={mark.label}
          aria-hidden="true"
          style={{
            position: 'absolute',
            left: `${(mark.left - pad) * 100}%`,
            top: `${(mark.top - pad) * 100}%`,
            width: `${(mark.width + 2 * pad) * 100}%`,
            height: `${(mark.height + 2 * pad) * 100}%`,
            border: `${mark.tone === 'selected' ? 3 : 2}px solid ${colors.border}`,
            borderRadius: 3,
            background: colors.fill,
            pointerEvents: 'none',
          }}
        />
      );
    });
}

export function DocumentViewer({
  blob,
  mimeType,
  fileName,
  viewer,
  marks = [],
}: {
  blob: Blob;
  mimeType: string;
  fileName: string;
  viewer: DocumentViewerState;
  marks?: readonly DocumentMark[];
}) {
  const { ref, width } = useElementSize<HTMLDivElement>();
  const isPdf = mimeType === 'application/pdf';
  const isImage = IMAGE_TYPES.includes(mimeType);
  return (
    <Box>
      <Group justify="space-between" gap="xs" mb="xs" wrap="wrap">
        {isPdf ? <PageNavigation viewer={viewer} /> : <span />}
        <ZoomButtons viewer={viewer} />
      </Group>
      <Box
        ref={ref}
        role="region"
        aria-label={`Document déposé : ${fileName}`}
        tabIndex={0}
        bg="gray.1"
        p={0}
        style={{
          overflow: 'auto',
          maxHeight: '80vh',
          minHeight: 320,
          scrollbarGutter: 'stable',
          borderRadius: 'var(--mantine-radius-sm)',
        }}
      >
        {isPdf && <PdfPage blob={blob} fileName={fileName} viewer={viewer} width={width} marks={marks} />}
        {isImage && <ZoomableImage blob={blob} fileName={fileName} zoom={viewer.zoom} width={width} marks={marks} />}
        {!isPdf && !isImage && (
          <Text p="md">Ce type de document ({mimeType}) ne s’affiche pas dans la page : téléchargez-le.</Text>
        )}
      </Box>
    </Box>
  );
}

function PageNavigation({ viewer }: { viewer: DocumentViewerState }) {
  return (
    <Group gap={4} wrap="nowrap">
      <ActionIcon
        variant="default"
        size="lg"
        aria-label="Page précédente du document"
        disabled={viewer.page <= 1}
        onClick={viewer.previousPage}
      >
        ‹
      </ActionIcon>
      <Text size="sm" aria-live="polite" miw={100} ta="center">
        {viewer.pageCount > 0 ? `Page ${viewer.page} sur ${viewer.pageCount}` : 'Ouverture…'}
      </Text>
      <ActionIcon
        variant="default"
        size="lg"
        aria-label="Page suivante du document"
        disabled={viewer.page >= viewer.pageCount}
        onClick={viewer.nextPage}
      >
        ›
      </ActionIcon>
    </Group>
  );
}

function ZoomButtons({ viewer }: { viewer: DocumentViewerState }) {
  return (
    <Group gap={4} wrap="nowrap">
      <ActionIcon
        variant="default"
        size="lg"
        aria-label="Zoom arrière"
        disabled={!viewer.canZoomOut}
        onClick={viewer.zoomOut}
      >
        −
      </ActionIcon>
      <Text size="sm" miw={48} ta="center" aria-live="polite">
        <span className="visually-hidden">Zoom : </span>
        {percent(viewer.zoom)}
      </Text>
      <ActionIcon
        variant="default"
        size="lg"
        aria-label="Zoom avant"
        disabled={!viewer.canZoomIn}
        onClick={viewer.zoomIn}
      >
        +
      </ActionIcon>
      <Button variant="default" size="xs" onClick={viewer.fitWidth}>
        Pleine largeur
      </Button>
    </Group>
  );
}

function explain(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return `Le document n’a pas pu être affiché (${message}) : téléchargez-le pour le lire.`;
}

/** One page of the PDF on a canvas, at the frame's width times the zoom (sharp on high-density screens). */
function PdfPage({
  blob,
  fileName,
  viewer,
  width,
  marks,
}: {
  blob: Blob;
  fileName: string;
  viewer: DocumentViewerState;
  width: number;
  marks: readonly DocumentMark[];
}) {
  const [doc, setDoc] = useState<pdfjs.PDFDocumentProxy | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [rendered, setRendered] = useState('');
  const [size, setSize] = useState<{ width: number; height: number } | null>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const { opened, page, zoom } = viewer;

  useEffect(() => {
    let cancelled = false;
    let task: pdfjs.PDFDocumentLoadingTask | undefined;
    blob
      .arrayBuffer()
      .then((bytes) => {
        if (cancelled) return undefined;
        // pdf.js hands the bytes over to its worker: give it its own copy. No eval: the CSP forbids it.
        task = pdfjs.getDocument({ data: new Uint8Array(bytes), isEvalSupported: false });
        return task.promise.then((opened_) => {
          if (cancelled) return;
          setDoc(opened_);
          opened(opened_.numPages);
        });
      })
      .catch((e: unknown) => {
        if (!cancelled) setError(explain(e));
      });
    return () => {
      cancelled = true;
      void task?.destroy();
    };
  }, [blob, opened]);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!doc || !canvas || width <= 0) return undefined;
    let cancelled = false;
    let task: pdfjs.RenderTask | undefined;
    doc
      .getPage(Math.min(page, doc.numPages))
      .then((pdfPage) => {
        if (cancelled) return undefined;
        const scale = (width / pdfPage.getViewport({ scale: 1 }).width) * zoom;
        const viewport = pdfPage.getViewport({ scale });
        const ratio = window.devicePixelRatio || 1;
        canvas.width = Math.floor(viewport.width * ratio);
        canvas.height = Math.floor(viewport.height * ratio);
        canvas.style.width = `${Math.floor(viewport.width)}px`;
        canvas.style.height = `${Math.floor(viewport.height)}px`;
        setSize({ width: Math.floor(viewport.width), height: Math.floor(viewport.height) });
        task = pdfPage.render({
          canvas,
          viewport,
          transform: ratio === 1 ? undefined : [ratio, 0, 0, ratio, 0, 0],
        });
        return task.promise.then(() => {
          if (!cancelled) setRendered(`${page}@${zoom}@${width}`);
        });
      })
      .catch((e: unknown) => {
        if (!cancelled && !(e instanceof pdfjs.RenderingCancelledException)) setError(explain(e));
      });
    return () => {
      cancelled = true;
      task?.cancel();
    };
  }, [doc, page, zoom, width]);

  if (error) {
    return (
      <Alert color="red" m="md" title="Affichage impossible">
        {error}
      </Alert>
    );
  }
  const shown = rendered === `${page}@${zoom}@${width}`;
  return (
    <>
      {!doc && <Loader m="md" aria-label="Ouverture du document" />}
      <div style={{ position: 'relative', width: size?.width, margin: '0 auto' }}>
        <canvas
          ref={canvasRef}
          role="img"
          aria-label={`Page ${page}${doc ? ` sur ${doc.numPages}` : ''} de ${fileName}`}
          data-rendered={shown ? 'true' : 'false'}
          width={0}
          height={0}
          style={{ display: 'block', maxWidth: 'none', background: 'white' }}
        />
        {shown && <Marks marks={marks} page={page} />}
      </div>
    </>
  );
}

/** The image at the frame's width times the zoom; its blob: URL lives as long as the element shows it. */
function ZoomableImage({
  blob,
  fileName,
  zoom,
  width,
  marks,
}: {
  blob: Blob;
  fileName: string;
  zoom: number;
  width: number;
  marks: readonly DocumentMark[];
}) {
  const attach = useCallback(
    (img: HTMLImageElement | null) => {
      if (!img) return undefined;
      const url = URL.createObjectURL(blob);
      img.src = url;
      return () => URL.revokeObjectURL(url);
    },
    [blob],
  );
  const [loaded, setLoaded] = useState(false);
  const shownWidth = width > 0 ? Math.floor(width * zoom) : undefined;
  return (
    <div style={{ position: 'relative', width: shownWidth, margin: '0 auto' }}>
      <img
        ref={attach}
        alt={`Document déposé : ${fileName}`}
        onLoad={() => setLoaded(true)}
        style={{ display: 'block', maxWidth: 'none', width: shownWidth }}
      />
      {loaded && <Marks marks={marks} page={1} />}
    </div>
  );
}
