import { SESClient } from '@aws-sdk/client-ses';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { MailDeliveryError, SesMailer } from '../functions/adapters';
import { renderDigest } from '../functions/domain/notices';
import { startSesEmulator, type SesEmulator } from '../tools/emulators/ses/emulator';

const SENDER = 'rotator@example.com';

let ses: SesEmulator;
let client: SESClient;
let mailer: SesMailer;

beforeAll(async () => {
  ses = await startSesEmulator();
  client = new SESClient({ region: 'us-east-1', endpoint: ses.endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  mailer = new SesMailer(client, SENDER);
});

afterEach(async () => {
  ses.failNext(0);
  await ses.clear();
});

afterAll(async () => {
  client.destroy();
  await ses.close();
});

const digest = () =>
  renderDigest({
    ownerEmail: 'owner@example.com',
    consumerOrg: 'bank',
    sender: SENDER,
    items: [
      {
        kind: 'replacement-ready',
        providerOrg: 'acme',
        catalog: 'prod',
        consumerOrg: 'bank',
        app: 'payments & <co>',
        credential: 'main',
        secretName: 'apic-rotator/acme/prod/bank/payments/main',
        secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:apic-rotator/acme/prod/bank/payments/main-AbC123',
        dueDate: '2027-01-10',
      },
    ],
  });

describe('SesMailer', () => {
  it('delivers subject, text and HTML from the configured sender to the owner', async () => {
    const message = digest();
    await mailer.send(message);
    expect(await ses.emails()).toEqual([{ from: SENDER, to: ['owner@example.com'], subject: message.subject, text: message.text, html: message.html }]);
  });

  it('succeeds after a transient failure because the SDK retries it', async () => {
    ses.failNext(1);
    await mailer.send(digest());
    expect(await ses.emails()).toHaveLength(1);
  });

  it('raises a MailDeliveryError with the cause once retries are exhausted, and sends nothing', async () => {
    ses.failNext(3);
    const error = await mailer.send(digest()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MailDeliveryError);
    expect((error as MailDeliveryError).name).toBe('MailDeliveryError');
    expect((error as MailDeliveryError).recipient).toBe('owner@example.com');
    expect((error as Error).message).toContain('InternalFailure');
    expect((error as Error).cause).toMatchObject({ name: 'InternalFailure' });
    expect(await ses.emails()).toEqual([]);
  });
});

describe('startSesEmulator', () => {
  it('keeps each emulator to its own mail and closes without leaving servers behind', async () => {
    const second = await startSesEmulator();
    const secondClient = new SESClient({ region: 'us-east-1', endpoint: second.endpoint, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    await new SesMailer(secondClient, SENDER).send({ ...digest(), to: 'someone@example.com' });
    expect((await second.emails()).map((mail) => mail.to)).toEqual([['someone@example.com']]);
    expect(await ses.emails()).toEqual([]);
    secondClient.destroy();
    const listeningServers = () => process.getActiveResourcesInfo().filter((resource) => resource === 'TCPServerWrap').length;
    const serversBefore = listeningServers();
    await second.close();
    // Node releases the handles on the next turns of the event loop, after the close callbacks.
    await vi.waitFor(() => expect(listeningServers()).toBe(serversBefore - 2));
    await expect(fetch(`${second.endpoint}/health-check`)).rejects.toThrow();
  });
});
