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
import { ApiErrors } from '../../http/api-errors.decorator';
import { EmptyBodyPipe } from '../../http/empty-body.pipe';
import { PageQuery } from '../../common/cursors/page-query';
import { UuidParam } from '../../http/uuid-param.decorator';
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
  constructor(@Inject(SubscriptionsService) private readonly subscriptions: SubscriptionsService) {}

  @Post()
  @ApiOperation({ summary: 'Register a webhook; the answer carries its whsec_ secret' })
  @ApiCreatedResponse({ type: SubscriptionWithSecretDto })
  @ApiErrors(400, 409)
  async create(
    @CurrentTenant() tenantId: string,
    @Body() dto: CreateSubscriptionDto,
  ): Promise<SubscriptionWithSecretDto> {
    const { subscription, secret } = await this.subscriptions.create(tenantId, dto);
    return { ...toSubscriptionDto(subscription), secret };
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
  @ApiOperation({ summary: 'Read a subscription (without its secret)' })
  @ApiOkResponse({ type: SubscriptionDto })
  @ApiErrors(400, 404)
  async get(
    @CurrentTenant() tenantId: string,
    @UuidParam('id') id: string,
  ): Promise<SubscriptionDto> {
    return toSubscriptionDto(await this.subscriptions.get(tenantId, id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change url, topics, description or enabled' })
  @ApiOkResponse({ type: SubscriptionDto })
  @ApiErrors(400, 404)
  async update(
    @CurrentTenant() tenantId: string,
    @UuidParam('id') id: string,
    @Body() dto: UpdateSubscriptionDto,
  ): Promise<SubscriptionDto> {
    return toSubscriptionDto(await this.subscriptions.update(tenantId, id, dto));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a subscription and its deliveries' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors(400, 404)
  remove(@CurrentTenant() tenantId: string, @UuidParam('id') id: string): Promise<void> {
    return this.subscriptions.remove(tenantId, id);
  }

  @Get(':id/secret')
  @ApiOperation({ summary: 'Reveal the signing secrets' })
  @ApiOkResponse({ type: SubscriptionSecretDto })
  @ApiErrors(400, 404, 409)
  async readSecret(
    @CurrentTenant() tenantId: string,
    @UuidParam('id') id: string,
  ): Promise<SubscriptionSecretDto> {
    return toSecretDto(await this.subscriptions.readSecrets(tenantId, id));
  }

  @Post(':id/secret/rotate')
  @HttpCode(200)
  @ApiOperation({ summary: 'New secret; the old one keeps signing beside it for 24 h' })
  @ApiOkResponse({ type: SubscriptionSecretDto })
  @ApiErrors(400, 404)
  async rotate(
    @CurrentTenant() tenantId: string,
    @UuidParam('id') id: string,
    @Body(EmptyBodyPipe) _body: unknown,
  ): Promise<SubscriptionSecretDto> {
    return toSecretDto(await this.subscriptions.rotateSecret(tenantId, id));
  }
}
