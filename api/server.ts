import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Express } from 'express';
import type { ErrorBody } from './errors';

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

export interface ListenOptions {
  /** In-flight requests get this long to finish at shutdown; the connections left are then closed. */
  graceMs?: number;
}

/**
 * Listens, and closes gracefully: no new connections, idle keep-alive sockets dropped, in-flight requests finish
 * within the grace time (an upload or a Temporal call past it is cut).
 */
export function listen(app: Express, host: string, port: number, options: ListenOptions = {}): Promise<RunningServer> {
  const server = http.createServer(app);
  // Slow clients cannot hold a connection forever (slowloris); uploads of 5 MB fit well within these.
  server.headersTimeout = 30_000;
  server.requestTimeout = 120_000;
  server.on('clientError', answerClientError);
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE' ? new Error(`Port ${port} is already in use: set PORT to another port`) : error,
      ),
    );
    server.listen(port, host, () => {
      const address = server.address() as { port: number };
      resolve({
        url: `http://${host}:${address.port}`,
        close: () =>
          new Promise<void>((done) => {
            const force = setTimeout(() => server.closeAllConnections(), options.graceMs ?? 10_000);
            force.unref();
            // A keep-alive connection becomes idle once its in-flight request is answered: drop it then.
            const idle = setInterval(() => server.closeIdleConnections(), 100);
            idle.unref();
            server.close(() => {
              clearTimeout(force);
              clearInterval(idle);
              done();
            });
            server.closeIdleConnections();
          }),
      });
    });
  });
}

/** Node's own refusals of a request it cannot parse, by the parser's error code; anything else is a 400. */
const CLIENT_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    code: 'HEADERS_TOO_LARGE',
    message: 'Les en-têtes de la requête (adresse comprise) sont trop volumineux.',
  },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: {
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    message: 'Le corps de la requête est trop volumineux.',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    code: 'REQUEST_TIMEOUT',
    message: 'La requête n’a pas été reçue à temps.',
  },
};
const BAD_REQUEST = { status: 400, code: 'BAD_REQUEST', message: 'Requête HTTP mal formée.' };

/**
 * Node answers a request it cannot parse (a NUL byte in a header, headers or URL beyond 16 KB) before Express sees it,
 * with an empty body; the contract promises the JSON error shape everywhere. As Node does, an answer is written only
 * if the socket is writable and no response has started on it (a keep-alive connection may hold one in flight), and
 * the connection is then closed: after a parse error, the rest of the stream cannot be trusted.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const { status, code, message } = CLIENT_ERRORS[error.code ?? ''] ?? BAD_REQUEST;
  const body: ErrorBody = { error: { code, message } };
  const payload = Buffer.from(JSON.stringify(body));
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${payload.length}\r\n` +
      'X-Content-Type-Options: nosniff\r\n' +
      'Cache-Control: no-store\r\n' +
      'Connection: close\r\n\r\n' +
      payload.toString('utf8'),
  );
}
