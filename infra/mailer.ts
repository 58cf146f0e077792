import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';

// Infrastructure, not an activity: the worker builds the mailer from the configuration and hands it to the
// notification activities, which record each delivery (and retry it) in the read model.

export interface MailConfig {
  outboxDir: string;
  smtpUrl?: string;
  from: string;
}

export interface Mailer {
  transport: 'SMTP' | 'OUTBOX';
  /** Sends, and returns where it went: the SMTP message id or the path of the .eml file. */
  send(message: { to: string; subject: string; text: string }): Promise<string>;
}

/** SMTP when SMTP_URL is set; otherwise each e-mail is written as an .eml file to the outbox folder. */
export function createMailer(config: MailConfig): Mailer {
  if (config.smtpUrl) {
    const smtp: Transporter = nodemailer.createTransport(config.smtpUrl);
    return {
      transport: 'SMTP',
      send: async (message) => (await smtp.sendMail({ from: config.from, ...message })).messageId,
    };
  }
  const eml = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    transport: 'OUTBOX',
    send: async (message) => {
      const info = await eml.sendMail({ from: config.from, ...message });
      await fs.mkdir(config.outboxDir, { recursive: true });
      const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${crypto.randomBytes(4).toString('hex')}.eml`;
      const target = path.join(config.outboxDir, name);
      // Written whole, then renamed: a mail client watching the folder never reads half a message.
      await fs.writeFile(`${target}.tmp`, info.message as Buffer);
      await fs.rename(`${target}.tmp`, target);
      return target;
    },
  };
}
