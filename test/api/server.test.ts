import express from 'express';
import { listen } from '../../api/server';

/** Graceful shutdown of the HTTP server: in-flight requests finish, new connections are refused. */
describe('listen', () => {
  function slowApp(delayMs: number) {
    const app = express();
    app.get('/slow', async (_req, res) => {
      await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
      res.json({ done: true });
    });
    return app;
  }

  it('lets an in-flight request finish when closing, then refuses new connections', async () => {
    const server = await listen(slowApp(300), '127.0.0.1', 0, { graceMs: 5_000 });
    const inFlight = fetch(`${server.url}/slow`).then((r) => r.json());
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    const closed = server.close();
    expect(await inFlight).toEqual({ done: true });
    await closed;
    expect(Date.now() - started).toBeLessThan(1_500);
    await expect(fetch(`${server.url}/slow`)).rejects.toThrow();
  });

  it('cuts a request still running when the grace time is over', async () => {
    const server = await listen(slowApp(3_000), '127.0.0.1', 0, { graceMs: 200 });
    const inFlight = fetch(`${server.url}/slow`).then(
      () => 'answered',
      () => 'cut',
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await inFlight).toBe('cut');
  });
});
