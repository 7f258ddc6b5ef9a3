import { createHmac } from 'node:crypto';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { generateWebhookSecret } from '../secrets/webhook-secret';
import { signWebhook } from './webhook-signer';

const BODY = JSON.stringify({
  type: 'order.created',
  timestamp: '2024-05-01T12:00:00.000Z',
  data: { id: 42 },
});

describe('signWebhook', () => {
  it('produces headers the standardwebhooks package verifies', () => {
    const secret = generateWebhookSecret();

    const headers = signWebhook({
      id: 'evt_1',
      timestamp: new Date(),
      body: BODY,
      secrets: [secret],
    });

    expect(new Webhook(secret).verify(BODY, { ...headers })).toEqual(JSON.parse(BODY));
  });

  it('signs with every live secret, so either one verifies', () => {
    const [oldSecret, newSecret] = [generateWebhookSecret(), generateWebhookSecret()];

    const headers = signWebhook({
      id: 'evt_2',
      timestamp: new Date(),
      body: BODY,
      secrets: [oldSecret, newSecret],
    });

    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}= v1,[A-Za-z0-9+/]{43}=$/);
    expect(() => new Webhook(oldSecret).verify(BODY, { ...headers })).not.toThrow();
    expect(() => new Webhook(newSecret).verify(BODY, { ...headers })).not.toThrow();
    expect(() => new Webhook(generateWebhookSecret()).verify(BODY, { ...headers })).toThrow(
      WebhookVerificationError,
    );
  });

  it('fails verification when the body is tampered with', () => {
    const secret = generateWebhookSecret();
    const headers = signWebhook({
      id: 'evt_3',
      timestamp: new Date(),
      body: BODY,
      secrets: [secret],
    });

    expect(() => new Webhook(secret).verify(BODY.replace('42', '43'), { ...headers })).toThrow(
      'No matching signature found',
    );
  });

  it('fails verification when the id is changed', () => {
    const secret = generateWebhookSecret();
    const headers = signWebhook({
      id: 'evt_4',
      timestamp: new Date(),
      body: BODY,
      secrets: [secret],
    });

    expect(() => new Webhook(secret).verify(BODY, { ...headers, 'webhook-id': 'evt_5' })).toThrow(
      WebhookVerificationError,
    );
  });

  it('matches an HMAC-SHA256 computed independently over "{id}.{timestamp}.{body}"', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
    const body = '{"test": 2432232314}';
    const expected = createHmac('sha256', Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64'))
      .update(`${id}.1614265330.${body}`)
      .digest('base64');

    const headers = signWebhook({
      id,
      // A fraction of a second past; the header and the signature both round down.
      timestamp: new Date(1614265330_999),
      body,
      secrets: [secret],
    });

    expect(headers).toEqual({
      'webhook-id': id,
      'webhook-timestamp': '1614265330',
      'webhook-signature': `v1,${expected}`,
    });
    // The example of the Standard Webhooks reference implementations, as a second witness.
    expect(headers['webhook-signature']).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('refuses to sign without a secret', () => {
    expect(() =>
      signWebhook({ id: 'evt_6', timestamp: new Date(), body: BODY, secrets: [] }),
    ).toThrow('signWebhook needs at least one secret');
  });
});

describe('generateWebhookSecret', () => {
  it('is whsec_ and the base64 of 32 bytes', () => {
    const secret = generateWebhookSecret();

    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
  });

  it('is different every time', () => {
    expect(generateWebhookSecret()).not.toBe(generateWebhookSecret());
  });
});
