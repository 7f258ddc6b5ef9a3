import {
  Body,
  Controller,
  Delete,
  HttpCode,
  Inject,
  Post,
  UseFilters,
  UsePipes,
} from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../http/api-errors.decorator';
import { EmptyBodyPipe } from '../http/empty-body.pipe';
import { HeraldExceptionFilter } from '../http/herald-exception.filter';
import { UuidParam } from '../http/uuid-param.decorator';
import { createValidationPipe } from '../http/validation.pipe';
import { Access } from './access.decorator';
import { CreatePortalSessionDto } from './dto/create-portal-session.dto';
import { PortalSessionDto, toPortalSessionDto } from './dto/portal-session.dto';
import { PortalSessionsService } from './portal-sessions.service';

/** Admin routes: portal links for a tenant's customers, and revoking them. */
@ApiTags('tenants')
@Access('admin')
@UseFilters(HeraldExceptionFilter)
@UsePipes(createValidationPipe())
@Controller('v1')
export class PortalSessionsController {
  constructor(
    @Inject(PortalSessionsService) private readonly portalSessions: PortalSessionsService,
  ) {}

  @Post('tenants/:id/portal-sessions')
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

  @Delete('portal-sessions/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a portal session at once' })
  @ApiNoContentResponse({ description: 'Revoked (also when it already was)' })
  @ApiErrors(400, 404)
  revoke(@UuidParam('id') id: string, @Body(EmptyBodyPipe) _body: unknown): Promise<void> {
    return this.portalSessions.revoke(id);
  }

  @Delete('tenants/:id/portal-sessions')
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
