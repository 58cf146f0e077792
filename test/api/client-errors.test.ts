import net from 'node:net';
import { Duplex } from 'node:stream';
import { answerClientError, listen, type RunningServer } from '../../api/server';
import { startApiStack, type ApiStack } from '../helpers/api';

jest.setTimeout(90_000);

interface RawAnswer {
  statusLine: string;
  headers: Record<string, string>;
  body: string;
  /** The server closed the connection. */
  closed: boolean;
}

/** Writes `bytes` on a fresh TCP connection and reads the answer until the server closes it (or 5 s pass). */
function rawRequest(url: string, bytes: string): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(Number(port), hostname, () => socket.write(bytes, 'latin1'));
    const timer = setTimeout(() => finish(false), 5_000);
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(
        lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
      );
      resolve({ statusLine, headers, body, closed });
    };
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => finish(true));
    socket.on('error', reject);
  });
}

function expectJsonError(answer: RawAnswer, statusLine: string, error: { code: string; message: string }) {
  expect(answer.statusLine).toBe(statusLine);
  expect(answer.headers).toEqual({
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(answer.body)),
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
    connection: 'close',
  });
  expect(JSON.parse(answer.body)).toEqual({ error });
  expect(answer.closed).toBe(true);
}

/**
 * Requests that Node's HTTP parser refuses never reach Express: the server's clientError handler answers them with
 * the contract's error shape, as a real client on a raw socket sees it.
 */
describe('requests Node cannot parse', () => {
  let api: ApiStack;
  let server: RunningServer;
  beforeAll(async () => {
    api = await startApiStack();
    server = await listen(api.app, '127.0.0.1', 0, { graceMs: 1_000 });
  });
  afterAll(async () => {
    await server.close();
    await api.teardown();
  });

  it('answers 400 BAD_REQUEST in JSON to a NUL byte in a header, and closes the connection', async () => {
    const answer = await rawRequest(server.url, 'GET /health HTTP/1.1\r\nHost: api\r\nX-Trace: a\u0000b\r\n\r\n');
    expectJsonError(answer, 'HTTP/1.1 400 Bad Request', { code: 'BAD_REQUEST', message: 'Requête HTTP mal formée.' });
  });

  it('answers 431 HEADERS_TOO_LARGE in JSON to a 20 KB query string', async () => {
    const answer = await rawRequest(
      server.url,
      `GET /api/pro-formas?number=${'9'.repeat(20_000)} HTTP/1.1\r\nHost: api\r\n\r\n`,
    );
    expectJsonError(answer, 'HTTP/1.1 431 Request Header Fields Too Large', {
      code: 'HEADERS_TOO_LARGE',
      message: 'Les en-têtes de la requête (adresse comprise) sont trop volumineux.',
    });
  });

  it('answers 400 in JSON to a request line that is not HTTP, and keeps serving the next connections', async () => {
    const answer = await rawRequest(server.url, 'HELLO\r\n\r\n');
    expectJsonError(answer, 'HTTP/1.1 400 Bad Request', { code: 'BAD_REQUEST', message: 'Requête HTTP mal formée.' });
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
  });
});

describe('answerClientError', () => {
  function socket() {
    const written: Buffer[] = [];
    const duplex = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, done) {
        written.push(chunk);
        done();
      },
    });
    return { duplex, written };
  }
  const parseError = Object.assign(new Error('Parse Error: Invalid header value char'), {
    code: 'HPE_INVALID_HEADER_TOKEN',
  });

  it('writes nothing on a socket that can no longer be written, and destroys it', () => {
    const { duplex, written } = socket();
    duplex.end();
    answerClientError(parseError, duplex);
    expect(written).toEqual([]);
    expect(duplex.destroyed).toBe(true);
  });

  it('writes nothing over a response whose headers are already sent on the connection', () => {
    const { duplex, written } = socket();
    // Node's http server keeps the response in flight on the socket under this name.
    Object.assign(duplex, { _httpMessage: { headersSent: true } });
    answerClientError(parseError, duplex);
    expect(written).toEqual([]);
    expect(duplex.destroyed).toBe(true);
  });
});
