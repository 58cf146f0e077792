import http from 'node:http';
import type { Express } from 'express';

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
