import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Post,
  UseFilters,
  UsePipes,
} from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiErrors } from '../http/api-errors.decorator';
import { EmptyBodyPipe } from '../http/empty-body.pipe';
import { HeraldExceptionFilter } from '../http/herald-exception.filter';
import { UuidParam } from '../http/uuid-param.decorator';
import { createValidationPipe } from '../http/validation.pipe';
import { Access, AdmitPortalSessions, CurrentPrincipal } from './access.decorator';
import { CreatePortalSessionDto } from './dto/create-portal-session.dto';
import {
  CurrentPortalSessionDto,
  PortalSessionDto,
  toCurrentPortalSessionDto,
  toPortalSessionDto,
} from './dto/portal-session.dto';
import type { Principal } from './principal';
import { PortalSessionsService } from './portal-sessions.service';

/**
 * Portal links for a tenant's customers and revoking them (admin), and what a portal session can
 * learn of itself.
 */
@ApiTags('tenants')
@UseFilters(HeraldExceptionFilter)
@UsePipes(createValidationPipe())
@Controller('v1')
export class PortalSessionsController {
  constructor(
    @Inject(PortalSessionsService) private readonly portalSessions: PortalSessionsService,
  ) {}

  @Post('tenants/:id/portal-sessions')
  @Access('admin')
  @ApiOperation({
    summary: 'Create a portal link for a tenant; the token is shown only now',
    description:
      'The token works for this tenant only, on the subscription, delivery and event-reading routes, until it expires; never on admin routes or to publish',
  })
  @ApiCreatedResponse({ type: PortalSessionDto })
  @ApiErrors(400, 404)
  async create(
    @UuidParam('id') tenantId: string,
    @Body() dto: CreatePortalSessionDto,
  ): Promise<PortalSessionDto> {
    return toPortalSessionDto(await this.portalSessions.create(tenantId, dto));
  }

  @Get('portal-sessions/current')
  @Access('tenant')
  @AdmitPortalSessions()
  @ApiOperation({
    summary: 'The portal session of this request: when it ends, and whether it is read-only',
    description: 'Only with a portal session token; an API key is refused with 403',
  })
  @ApiOkResponse({ type: CurrentPortalSessionDto })
  @ApiErrors(400)
  current(@CurrentPrincipal() principal: Principal): CurrentPortalSessionDto {
    return toCurrentPortalSessionDto(principal);
  }

  @Delete('portal-sessions/:id')
  @Access('admin')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a portal session at once' })
  @ApiNoContentResponse({ description: 'Revoked (also when it already was)' })
  @ApiErrors(400, 404)
  revoke(@UuidParam('id') id: string, @Body(EmptyBodyPipe) _body: unknown): Promise<void> {
    return this.portalSessions.revoke(id);
  }

  @Delete('tenants/:id/portal-sessions')
  @Access('admin')
  @HttpCode(204)
  @ApiOperation({ summary: "Revoke all of a tenant's portal sessions at once" })
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiErrors(400, 404)
  async revokeAll(
    @UuidParam('id') tenantId: string,
    @Body(EmptyBodyPipe) _body: unknown,
  ): Promise<void> {
    await this.portalSessions.revokeAll(tenantId);
  }
}
