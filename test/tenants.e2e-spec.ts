import { Client } from 'pg';
import request from 'supertest';
import { createTenant } from './utils/create-tenant';
import { useTestApp } from './utils/use-test-app';

describe('tenants and API keys', () => {
  const { herald, db } = useTestApp();
  const admin = { Authorization: `Bearer ${herald.adminToken}` };

  it('creates a tenant and a key that is shown once and stored only as a hash', async () => {
    const tenant = await createTenant(herald);
    expect(tenant.apiKey).toMatch(/^hk_[A-Za-z0-9_-]{43}$/);
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT * FROM herald.api_keys WHERE id = $1', [
        tenant.apiKeyId,
      ]);
      expect(rows).toHaveLength(1);
      expect(JSON.stringify(rows[0])).not.toContain(tenant.apiKey);
      expect(tenant.apiKey.startsWith(rows[0].prefix)).toBe(true);
    } finally {
      await client.end();
    }
    await request(herald.baseUrl).get('/v1/events?after=0&wait=0').set(tenant.auth).expect(200);
  });

  it('answers a missing, malformed, unknown or revoked key with one identical 401', async () => {
    const tenant = await createTenant(herald);
    await request(herald.baseUrl).delete(`/v1/api-keys/${tenant.apiKeyId}`).set(admin).expect(204);
    const attempts = [
      {},
      { Authorization: 'Basic Zm9vOmJhcg==' },
      { Authorization: 'Bearer' },
      { Authorization: 'Bearer hk_not-a-real-key' },
      { Authorization: `Bearer hk_${'A'.repeat(43)}` },
      tenant.auth,
    ];
    const bodies = [];
    for (const headers of attempts) {
      const response = await request(herald.baseUrl).get('/v1/events').set(headers).expect(401);
      bodies.push(response.body);
    }
    expect(bodies[0]).toMatchObject({ statusCode: 401, code: 'unauthorized' });
    for (const body of bodies) expect(body).toEqual(bodies[0]);
  });

  it('revoking twice is fine; an unknown key is 404', async () => {
    const tenant = await createTenant(herald);
    await request(herald.baseUrl).delete(`/v1/api-keys/${tenant.apiKeyId}`).set(admin).expect(204);
    await request(herald.baseUrl).delete(`/v1/api-keys/${tenant.apiKeyId}`).set(admin).expect(204);
    const missing = await request(herald.baseUrl)
      .delete('/v1/api-keys/00000000-0000-4000-8000-000000000000')
      .set(admin)
      .expect(404);
    expect(missing.body.code).toBe('api_key_not_found');
  });

  it('refuses a tenant key on admin routes with 403', async () => {
    const tenant = await createTenant(herald);
    const created = await request(herald.baseUrl)
      .post('/v1/tenants')
      .set(tenant.auth)
      .send({ name: 'sneaky' })
      .expect(403);
    expect(created.body.code).toBe('forbidden');
    await request(herald.baseUrl)
      .post(`/v1/tenants/${tenant.tenantId}/api-keys`)
      .set(tenant.auth)
      .expect(403);
    await request(herald.baseUrl)
      .delete(`/v1/api-keys/${tenant.apiKeyId}`)
      .set(tenant.auth)
      .expect(403);
  });

  it("answers another tenant's ids with 404", async () => {
    const alice = await createTenant(herald, 'alice');
    const bob = await createTenant(herald, 'bob');
    const event = await request(herald.baseUrl)
      .post('/v1/events')
      .set(alice.auth)
      .send({ topic: 'secret.thing', payload: { x: 1 } })
      .expect(201);
    const read = await request(herald.baseUrl)
      .get(`/v1/events/${event.body.id}`)
      .set(bob.auth)
      .expect(404);
    expect(read.body.code).toBe('event_not_found');
    const publish = await request(herald.baseUrl)
      .post('/v1/events')
      .set(bob.auth)
      .send({ topic: 'a.b', payload: {}, tenantId: alice.tenantId })
      .expect(404);
    expect(publish.body.code).toBe('tenant_not_found');
    const poll = await request(herald.baseUrl)
      .get(`/v1/events?after=0&tenantId=${alice.tenantId}`)
      .set(bob.auth)
      .expect(404);
    expect(poll.body.code).toBe('tenant_not_found');
    await request(herald.baseUrl).get(`/v1/events/${event.body.id}`).set(alice.auth).expect(200);
  });

  it('creating a key for an unknown tenant is 404 and creates nothing', async () => {
    const response = await request(herald.baseUrl)
      .post('/v1/tenants/00000000-0000-4000-8000-000000000000/api-keys')
      .set(admin)
      .expect(404);
    expect(response.body.code).toBe('tenant_not_found');
  });
});
