import request from 'supertest';
import type { HeraldEndpoint } from './test-app';

/** A tenant with one API key, made through the admin API. */
export interface TestTenant {
  tenantId: string;
  apiKey: string;
  apiKeyId: string;
  /** `{ Authorization: 'Bearer <apiKey>' }` */
  auth: { Authorization: string };
}

/** Creates a tenant and an API key for it. */
export async function createTenant(
  herald: HeraldEndpoint,
  name = 'test tenant',
): Promise<TestTenant> {
  const admin = { Authorization: `Bearer ${herald.adminToken}` };
  const tenant = await request(herald.baseUrl)
    .post('/v1/tenants')
    .set(admin)
    .send({ name })
    .expect(201);
  const key = await request(herald.baseUrl)
    .post(`/v1/tenants/${tenant.body.id}/api-keys`)
    .set(admin)
    .expect(201);
  return {
    tenantId: tenant.body.id,
    apiKey: key.body.key,
    apiKeyId: key.body.id,
    auth: { Authorization: `Bearer ${key.body.key}` },
  };
}
