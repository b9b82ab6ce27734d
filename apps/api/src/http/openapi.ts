import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ErrorResponse } from './error-body';
import { SESSION_COOKIE } from './request-context';

/** The OpenAPI document of an application whose routes are registered under /api. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  return SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Mayak')
      .setDescription('Case tracking for a crisis helpline. Every record is consent-scoped.')
      .setVersion('1')
      .addBearerAuth()
      .addCookieAuth(SESSION_COOKIE)
      // Every operation can fail, and always in the same shape (see exception.filter.ts).
      .addGlobalResponse(
        {
          status: '4XX',
          description: 'The request was refused; `fields` names each bad field',
          type: ErrorResponse,
        },
        {
          status: '5XX',
          description: 'The service failed or is briefly unavailable',
          type: ErrorResponse,
        },
      )
      .build(),
  );
}
