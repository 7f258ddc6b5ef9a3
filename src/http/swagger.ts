import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { addEventTypesToDocument, toOpenApi31 } from '../notifications';

/**
 * Builds the OpenAPI 3.1 document of every mounted route: 3.1, so that event types' JSON Schemas
 * (2020-12) are valid in it as they are.
 */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Herald')
    .setDescription(
      'Server push for NestJS: publish events into a transactional outbox; receive them by ' +
        'long-polling `/v1/events` or as signed webhooks. Errors are ' +
        '`{ statusCode, error, message, code }`.',
    )
    .setOpenAPIVersion('3.1.0')
    .setVersion('1')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'API key',
      description: 'Admin token or tenant API key',
    })
    .build();
  return toOpenApi31(SwaggerModule.createDocument(app, config));
}

/**
 * Serves Swagger UI at `/docs` and the document at `/docs-json`. The routes are documented once;
 * the event types are added on each request, so one declared at run time shows at once.
 */
export function setupSwagger(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => createOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    patchDocumentOnRequest: (_request, _response, document) =>
      addEventTypesToDocument(document, app),
  });
}
