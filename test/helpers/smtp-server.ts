import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { freePort } from '../../support/ports';

export interface ReceivedMail {
  messageId: string;
  subject: string;
  to: string;
  raw: string;
}

/**
 * A real SMTP server (the `smtp-server` package) on one port for the whole test, that can be stopped and started
 * again: stopped, the port refuses connections, as a mail server that is down does. Every message it accepts is
 * kept, in order.
 */
export class TestSmtpServer {
  readonly received: ReceivedMail[] = [];
  private server: SMTPServer | undefined;
  private parsing: Promise<unknown>[] = [];

  private constructor(readonly port: number) {}

  static async create(): Promise<TestSmtpServer> {
    return new TestSmtpServer(await freePort());
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, _session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          this.parsing.push(
            simpleParser(raw).then((mail) =>
              this.received.push({
                messageId: mail.messageId ?? '',
                subject: mail.subject ?? '',
                to: mail.to && !Array.isArray(mail.to) ? mail.to.text : '',
                raw,
              }),
            ),
          );
          callback();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  /** Stops listening: new connections are refused from now on. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The messages received so far, once parsed. */
  async messages(): Promise<ReceivedMail[]> {
    await Promise.all(this.parsing);
    return [...this.received];
  }
}
