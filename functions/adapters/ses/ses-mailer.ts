/**
 * Sends notice mail with SES v1 `SendEmail` (plain text + HTML). Templated sending is not used: the bodies are
 * rendered by `renderDigest`, and the local SES emulator does not implement v1 templates.
 */
import { SendEmailCommand, type SESClient } from '@aws-sdk/client-ses';
import type { MailerPort, MailMessage } from '../../domain/ports';

export class MailDeliveryError extends Error {
  constructor(
    message: string,
    readonly recipient: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'MailDeliveryError';
  }
}

export class SesMailer implements MailerPort {
  constructor(
    private readonly client: SESClient,
    private readonly sender: string,
  ) {}

  async send(message: MailMessage): Promise<void> {
    try {
      await this.client.send(
        new SendEmailCommand({
          Source: this.sender,
          Destination: { ToAddresses: [message.to] },
          Message: {
            Subject: { Data: message.subject, Charset: 'UTF-8' },
            Body: { Text: { Data: message.text, Charset: 'UTF-8' }, Html: { Data: message.html, Charset: 'UTF-8' } },
          },
        }),
      );
    } catch (error) {
      const reason = error instanceof Error ? error.name : 'unknown error';
      throw new MailDeliveryError(`SES SendEmail to ${message.to} failed: ${reason}`, message.to, { cause: error });
    }
  }
}
