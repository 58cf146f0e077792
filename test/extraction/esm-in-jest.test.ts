import { loadPdfJs } from '../../extraction/pdf';

describe('ESM-only libraries inside Jest', () => {
  it('loads pdfjs-dist through a real dynamic import', async () => {
    const pdfjs = await loadPdfJs();
    expect(typeof pdfjs.getDocument).toBe('function');
  });

  it('loads file-type through a real dynamic import', async () => {
    const { fileTypeFromBuffer } = await import('file-type');
    const type = await fileTypeFromBuffer(Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n', 'latin1'));
    expect(type?.mime).toBe('application/pdf');
  });
});
