import http from 'node:http';
import type { Express } from 'express';

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/** Listens, and closes gracefully: no new connections, idle keep-alive sockets dropped, in-flight requests finish. */
export function listen(app: Express, host: string, port: number): Promise<RunningServer> {
  const server = http.createServer(app);
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
            server.close(() => done());
            server.closeIdleConnections();
          }),
      });
    });
  });
}
