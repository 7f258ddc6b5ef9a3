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
  ApiAcceptedResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiErrors } from '../../common/api-errors.decorator';
import { EmptyBodyPipe } from '../../common/empty-body.pipe';
import { PageQuery } from '../../common/page-query';
import { UuidParam } from '../../common/uuid-param.decorator';
import { createValidationPipe } from '../../common/validation.pipe';
import { HeraldExceptionFilter } from '../../http/herald-exception.filter';
import { Access, CurrentPrincipal } from '../../tenants/access.decorator';
import type { Principal } from '../../tenants/principal';
import { resolveTenant } from '../../tenants/resolve-tenant';
import { DeliveriesService } from '../delivery/deliveries.service';
import { DeliveryPageDto, toDeliveryDto } from '../delivery/dto/delivery.dto';
import { ListDeliveriesQuery } from '../delivery/dto/list-deliveries.query';
import { CreateSubscriptionDto } from './dto/create-subscription.dto';
import { ReplayDto, ScheduledDto } from './dto/replay.dto';
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
@UseFilters(HeraldExceptionFilter)
@UsePipes(createValidationPipe())
@Controller('v1/subscriptions')
export class SubscriptionsController {
  constructor(
    @Inject(SubscriptionsService) private readonly subscriptions: SubscriptionsService,
    @Inject(DeliveriesService) private readonly deliveries: DeliveriesService,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Register a webhook; the answer carries its whsec_ secret' })
  @ApiCreatedResponse({ type: SubscriptionWithSecretDto })
  @ApiErrors(400, 409)
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateSubscriptionDto,
  ): Promise<SubscriptionWithSecretDto> {
    const { subscription, secret } = await this.subscriptions.create(
      resolveTenant(principal, undefined),
      dto,
    );
    return { ...toSubscriptionDto(subscription), secret };
  }

  @Get()
  @ApiOperation({ summary: 'List subscriptions, oldest first' })
  @ApiOkResponse({ type: SubscriptionPageDto })
  @ApiErrors(400)
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: PageQuery,
  ): Promise<SubscriptionPageDto> {
    const page = await this.subscriptions.list(resolveTenant(principal, undefined), query);
    return { data: page.data.map(toSubscriptionDto), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiOperation({ summary: 'Read a subscription (without its secret)' })
  @ApiOkResponse({ type: SubscriptionDto })
  @ApiErrors(400, 404)
  async get(
    @CurrentPrincipal() principal: Principal,
    @UuidParam('id') id: string,
  ): Promise<SubscriptionDto> {
    return toSubscriptionDto(await this.subscriptions.get(resolveTenant(principal, undefined), id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change url, topics, description or enabled' })
  @ApiOkResponse({ type: SubscriptionDto })
  @ApiErrors(400, 404)
  async update(
    @CurrentPrincipal() principal: Principal,
    @UuidParam('id') id: string,
    @Body() dto: UpdateSubscriptionDto,
  ): Promise<SubscriptionDto> {
    return toSubscriptionDto(
      await this.subscriptions.update(resolveTenant(principal, undefined), id, dto),
    );
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a subscription and its deliveries' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors(400, 404)
  remove(@CurrentPrincipal() principal: Principal, @UuidParam('id') id: string): Promise<void> {
    return this.subscriptions.remove(resolveTenant(principal, undefined), id);
  }

  @Get(':id/secret')
  @ApiOperation({ summary: 'Reveal the signing secrets' })
  @ApiOkResponse({ type: SubscriptionSecretDto })
  @ApiErrors(400, 404, 409)
  async readSecret(
    @CurrentPrincipal() principal: Principal,
    @UuidParam('id') id: string,
  ): Promise<SubscriptionSecretDto> {
    return toSecretDto(
      await this.subscriptions.readSecrets(resolveTenant(principal, undefined), id),
    );
  }

  @Post(':id/secret/rotate')
  @HttpCode(200)
  @ApiOperation({ summary: 'New secret; the old one keeps signing beside it for 24 h' })
  @ApiOkResponse({ type: SubscriptionSecretDto })
  @ApiErrors(400, 404)
  async rotate(
    @CurrentPrincipal() principal: Principal,
    @UuidParam('id') id: string,
    @Body(EmptyBodyPipe) _body: unknown,
  ): Promise<SubscriptionSecretDto> {
    return toSecretDto(
      await this.subscriptions.rotateSecret(resolveTenant(principal, undefined), id),
    );
  }

  @Post(':id/test')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send a webhook.test event to this endpoint only' })
  @ApiAcceptedResponse({ type: ScheduledDto })
  @ApiErrors(400, 404)
  async test(
    @CurrentPrincipal() principal: Principal,
    @UuidParam('id') id: string,
    @Body(EmptyBodyPipe) _body: unknown,
  ): Promise<ScheduledDto> {
    await this.deliveries.test(
      await this.subscriptions.get(resolveTenant(principal, undefined), id),
    );
    return { scheduled: 1 };
  }

  @Post(':id/replay')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Deliver again every retained event after a cursor',
    description:
      'Answers at once with the count; the deliveries are created in the background, 1,000 events ' +
      'per transaction, and a stopped process leaves the rest to the next one',
  })
  @ApiAcceptedResponse({ type: ScheduledDto })
  @ApiErrors(400, 404)
  async replay(
    @CurrentPrincipal() principal: Principal,
    @UuidParam('id') id: string,
    @Body() dto: ReplayDto,
  ): Promise<ScheduledDto> {
    const subscription = await this.subscriptions.get(resolveTenant(principal, undefined), id);
    return { scheduled: await this.deliveries.replay(subscription, dto.after) };
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: 'Deliveries with their attempts, newest first' })
  @ApiOkResponse({ type: DeliveryPageDto })
  @ApiErrors(400, 404)
  async listDeliveries(
    @CurrentPrincipal() principal: Principal,
    @UuidParam('id') id: string,
    @Query() query: ListDeliveriesQuery,
  ): Promise<DeliveryPageDto> {
    const subscription = await this.subscriptions.get(resolveTenant(principal, undefined), id);
    const page = await this.deliveries.list(subscription.id, query);
    return {
      data: page.data.map((d) => toDeliveryDto(d.delivery, d.attempts)),
      nextCursor: page.nextCursor,
    };
  }
}
