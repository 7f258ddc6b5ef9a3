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
import { createValidationPipe } from '../http/validation.pipe';
import { HeraldExceptionFilter } from '../http/herald-exception.filter';
import { UuidParam } from '../http/uuid-param.decorator';
import { EmptyBodyPipe } from '../http/empty-body.pipe';
import { Access } from './access.decorator';
import { ApiKeysService } from './api-keys.service';
import { CreateTenantDto } from './dto/create-tenant.dto';
import { CreatedApiKeyDto, toCreatedApiKeyDto } from './dto/created-api-key.dto';
import { TenantDto, toTenantDto } from './dto/tenant.dto';
import { TenantsService } from './tenants.service';

/** Admin routes: tenants and their API keys. */
@ApiTags('tenants')
@Access('admin')
@UseFilters(HeraldExceptionFilter)
@UsePipes(createValidationPipe())
@Controller('v1')
export class TenantsController {
  constructor(
    @Inject(TenantsService) private readonly tenants: TenantsService,
    @Inject(ApiKeysService) private readonly apiKeys: ApiKeysService,
  ) {}

  @Post('tenants')
  @ApiOperation({ summary: 'Create a tenant' })
  @ApiCreatedResponse({ type: TenantDto })
  @ApiErrors(400)
  async createTenant(@Body() dto: CreateTenantDto): Promise<TenantDto> {
    return toTenantDto(await this.tenants.create(dto.name));
  }

  @Post('tenants/:id/api-keys')
  @ApiOperation({ summary: 'Create an API key for a tenant; the secret is shown only now' })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  @ApiErrors(400, 404)
  async createApiKey(
    @UuidParam('id') tenantId: string,
    @Body(EmptyBodyPipe) _body: unknown,
  ): Promise<CreatedApiKeyDto> {
    return toCreatedApiKeyDto(await this.apiKeys.create(tenantId));
  }

  @Delete('api-keys/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an API key' })
  @ApiNoContentResponse({ description: 'Revoked (also when it already was)' })
  @ApiErrors(400, 404)
  revokeApiKey(@UuidParam('id') id: string, @Body(EmptyBodyPipe) _body: unknown): Promise<void> {
    return this.apiKeys.revoke(id);
  }
}
