/**
 * Contract tests of the SES emulator (aws-ses-v2-local behind a fault-injecting proxy): each drives it through the
 * real SDK client and checks one row of tools/emulators/ses/FIDELITY.md (the row id starts the test name). Rows
 * already covered by test/notices-ses.test.ts name that test in the table instead of being repeated here.
 */
import { SESClient, SESServiceException, SendEmailCommand } from '@aws-sdk/client-ses';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSesEmulator, type SesEmulator } from '../tools/emulators/ses/emulator';

let ses: SesEmulator;
let client: SESClient;

const message = (subject: string) =>
  new SendEmailCommand({
    Source: 'rotator@example.com',
    Destination: { ToAddresses: ['owner@example.com'] },
    Message: { Subject: { Data: subject, Charset: 'UTF-8' }, Body: { Text: { Data: 'text', Charset: 'UTF-8' }, Html: { Data: '<p>html</p>', Charset: 'UTF-8' } } },
  });

beforeAll(async () => {
  ses = await startSesEmulator();
  client = new SESClient({ region: 'us-east-1', endpoint: ses.endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
});

afterAll(async () => {
  client.destroy();
  await ses.close();
});

describe('SES emulator contract', () => {
  it('SES-02 SendEmail answers the message id of the queued message', async () => {
    const { MessageId } = await client.send(message('with an id'));
    expect(MessageId).toEqual(expect.any(String));
    expect(MessageId?.length).toBeGreaterThan(0);
    expect((await ses.emails()).map((mail) => mail.subject)).toContain('with an id');
  });

  it('SES-03 InternalFailure is an HTTP 500 that the SDK surfaces by its code', async () => {
    ses.failNext(1);
    const error = await client.send(message('refused')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SESServiceException);
    expect([(error as SESServiceException).name, (error as SESServiceException).$metadata.httpStatusCode]).toEqual(['InternalFailure', 500]);
    expect((await ses.emails()).map((mail) => mail.subject)).not.toContain('refused');
  });
});
