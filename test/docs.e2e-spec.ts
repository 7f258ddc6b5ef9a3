import type { OpenAPIObject } from '@nestjs/swagger';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { loadConfig } from '../src/config/load-config';
import { useTestApp } from './utils/use-test-app';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** The text of `docs/<name>`. */
function readDoc(name: string): string {
  return readFileSync(join(__dirname, '..', 'docs', name), 'utf8');
}

/** The lines of the section under `heading`, up to the next heading of the same level or above. */
function section(text: string, heading: string): string[] {
  const lines = text.split('\n');
  const start = lines.indexOf(heading);
  if (start < 0) throw new Error(`no "${heading}" section`);
  const level = heading.indexOf(' ');
  const end = lines.findIndex(
    (line, index) => index > start && /^#+ /.test(line) && line.indexOf(' ') <= level,
  );
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** The first cell of each row of the section's tables, without the header and separator rows. */
function firstCells(lines: string[]): string[] {
  return lines
    .filter((line) => line.startsWith('|') && !/^\|[-| ]+\|$/.test(line))
    .map((line) => line.split('|')[1].trim())
    .slice(1);
}

/** Every variable `loadConfig` reads, recorded as it reads them from an empty environment. */
function variablesTheConfigReads(): string[] {
  const read = new Set<string>();
  const env = new Proxy<Record<string, string | undefined>>(
    {},
    {
      get: (_target, name) => {
        if (typeof name === 'string' && /^[A-Z][A-Z0-9_]*$/.test(name)) read.add(name);
        return undefined;
      },
    },
  );
  loadConfig(env);
  return [...read];
}

describe('the docs', () => {
  it("list every variable the configuration reads in Operations' table", () => {
    const documented = firstCells(section(readDoc('operations.md'), '## Configuration'));
    const variables = variablesTheConfigReads();

    // A few known names, so a recorder that reads nothing cannot pass.
    expect(variables).toEqual(expect.arrayContaining(['PORT', 'HERALD_ROLES', 'NODE_ENV']));
    expect(variables.filter((name) => !documented.includes(`\`${name}\``))).toEqual([]);
  });

  describe('the API page', () => {
    const { herald } = useTestApp();

    it('lists every route of the OpenAPI document, by method and path', async () => {
      const response = await request(herald.baseUrl).get('/docs-json').expect(200);
      const document = response.body as OpenAPIObject;
      const routes = Object.entries(document.paths).flatMap(([path, item]) =>
        METHODS.filter((method) => item[method]).map((method) => `${method.toUpperCase()} ${path}`),
      );
      // `GET/PATCH/DELETE /v1/subscriptions/:id?limit=` lists three routes, written as OpenAPI does.
      const documented = firstCells(section(readDoc('api.md'), '## Routes')).flatMap((cell) => {
        const match = /^`([A-Z/]+) ([^`?\s]+)/.exec(cell);
        if (!match) return [];
        const path = match[2].replace(/:(\w+)/g, '{$1}');
        return match[1].split('/').map((method) => `${method} ${path}`);
      });

      expect(routes.length).toBeGreaterThan(10);
      expect(routes.filter((route) => !documented.includes(route))).toEqual([]);
    });
  });
});
