import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Patch,
  Post,
  Query,
  Res,
  UseFilters,
  UsePipes,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiErrors } from '../../http/api-errors.decorator';
import { EmptyBodyPipe } from '../../http/empty-body.pipe';
import { PageQuery } from '../../common/cursors/page-query';
import { createValidationPipe } from '../../http/validation.pipe';
import { HeraldExceptionFilter } from '../../http/herald-exception.filter';
import { Access, AdmitPortalSessions } from '../../tenants/access.decorator';
import { CurrentTenant } from '../../tenants/current-tenant.decorator';
import { CreateSubscriptionDto } from './dto/create-subscription.dto';
import { SubscriptionPageDto } from './dto/subscription-page.dto';
import { SubscriptionSecretDto } from './dto/subscription-secret.dto';
import {
  SubscriptionDto,
  SubscriptionWithSecretDto,
  toSubscriptionDto,
} from './dto/subscription.dto';
import { UpdateSubscriptionDto } from './dto/update-subscription.dto';
import { ApiSubscriptionRef, SubscriptionRefParam } from './subscription-ref-param.decorator';
import { SubscriptionsService, type SubscriptionSecrets } from './subscriptions.service';

function toSecretDto(secrets: SubscriptionSecrets): SubscriptionSecretDto {
  return {
    ...secrets,
    previousSecretExpiresAt: secrets.previousSecretExpiresAt?.toISOString() ?? null,
  };
}

/** A tenant's webhook subscriptions. */
@ApiTags('subscriptions')
@Access('tenant')
@AdmitPortalSessions()
@UseFilters(HeraldExceptionFilter)
@UsePipes(createValidationPipe())
@Controller('v1/subscriptions')
export class SubscriptionsController {
  constructor(
    @Inject(SubscriptionsService) private readonly subscriptions: SubscriptionsService,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Register a webhook; the answer carries its whsec_ secret',
    description:
      'With a `uid` registered before: the same url and topics (and description, headers and ' +
      'secret where given) answer 200 with that subscription and its secret; other settings are ' +
      '409 `subscription_uid_conflict`.',
  })
  @ApiCreatedResponse({ type: SubscriptionWithSecretDto, description: 'Registered' })
  @ApiOkResponse({
    type: SubscriptionWithSecretDto,
    description: 'Registered before with this `uid` and these settings; nothing new was made',
  })
  @ApiErrors(400, 409)
  async create(
    @CurrentTenant() tenantId: string,
    @Body() dto: CreateSubscriptionDto,
    @Res() response: object,
  ): Promise<void> {
    const { subscription, secret, created } = await this.subscriptions.create(tenantId, dto);
    const body: SubscriptionWithSecretDto = { ...toSubscriptionDto(subscription), secret };
    // The status depends on the outcome, which a route's fixed @HttpCode cannot say.
    this.adapterHost.httpAdapter.reply(response, body, created ? 201 : 200);
  }

  @Get()
  @ApiOperation({ summary: 'List subscriptions, oldest first' })
  @ApiOkResponse({ type: SubscriptionPageDto })
  @ApiErrors(400)
  async list(
    @CurrentTenant() tenantId: string,
    @Query() query: PageQuery,
  ): Promise<SubscriptionPageDto> {
    const page = await this.subscriptions.list(tenantId, query);
    return { data: page.data.map(toSubscriptionDto), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiOperation({ summary: 'Read a subscription (without its secret), by its id or its uid' })
  @ApiOkResponse({ type: SubscriptionDto })
  @ApiErrors(400, 404)
  @ApiSubscriptionRef()
  async get(
    @CurrentTenant() tenantId: string,
    @SubscriptionRefParam('id') id: string,
  ): Promise<SubscriptionDto> {
    return toSubscriptionDto(await this.subscriptions.get(tenantId, id));
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Change url, topics, description, headers, rateLimit or enabled; by id or uid',
  })
  @ApiOkResponse({ type: SubscriptionDto })
  @ApiErrors(400, 404)
  @ApiSubscriptionRef()
  async update(
    @CurrentTenant() tenantId: string,
    @SubscriptionRefParam('id') id: string,
    @Body() dto: UpdateSubscriptionDto,
  ): Promise<SubscriptionDto> {
    return toSubscriptionDto(await this.subscriptions.update(tenantId, id, dto));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a subscription and its deliveries; by id or uid' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors(400, 404)
  @ApiSubscriptionRef()
  remove(@CurrentTenant() tenantId: string, @SubscriptionRefParam('id') id: string): Promise<void> {
    return this.subscriptions.remove(tenantId, id);
  }

  @Get(':id/secret')
  @ApiOperation({ summary: 'Reveal the signing secrets' })
  @ApiOkResponse({ type: SubscriptionSecretDto })
  @ApiErrors(400, 404, 409)
  @ApiSubscriptionRef()
  async readSecret(
    @CurrentTenant() tenantId: string,
    @SubscriptionRefParam('id') id: string,
  ): Promise<SubscriptionSecretDto> {
    return toSecretDto(await this.subscriptions.readSecrets(tenantId, id));
  }

  @Post(':id/secret/rotate')
  @HttpCode(200)
  @ApiOperation({ summary: 'New secret; the old one keeps signing beside it for 24 h' })
  @ApiOkResponse({ type: SubscriptionSecretDto })
  @ApiErrors(400, 404)
  @ApiSubscriptionRef()
  async rotate(
    @CurrentTenant() tenantId: string,
    @SubscriptionRefParam('id') id: string,
    @Body(EmptyBodyPipe) _body: unknown,
  ): Promise<SubscriptionSecretDto> {
    return toSecretDto(await this.subscriptions.rotateSecret(tenantId, id));
  }
}
