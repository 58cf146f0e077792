import express from 'express';
import { listen } from '../../api/server';

/** Graceful shutdown of the HTTP server: in-flight requests finish, new connections are refused. */
describe('listen', () => {
  function slowApp(delayMs: number, onStart: () => void = () => undefined) {
    const app = express();
    app.get('/slow', async (_req, res) => {
      onStart();
      await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
      res.json({ done: true });
    });
    return app;
  }

  it('lets an in-flight request finish when closing, then refuses new connections', async () => {
    let arrived!: () => void;
    const handling = new Promise<void>((resolve) => (arrived = resolve));
    const server = await listen(slowApp(300, arrived), '127.0.0.1', 0, { graceMs: 5_000 });
    const inFlight = fetch(`${server.url}/slow`).then((r) => r.json());
    // Closed only once the server handles the request (a fixed wait lost the race on a loaded machine).
    await handling;
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
