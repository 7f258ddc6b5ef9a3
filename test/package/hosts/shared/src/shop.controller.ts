import { Body, Controller, Post, UnprocessableEntityException } from '@nestjs/common';
import { ApiKeysService, TenantsService } from 'nestjs-herald';
import { CardDeclined, OrdersService } from './orders.service';

/** The host's own routes, beside Herald's: tenants and keys made from code, and orders. */
@Controller('shop')
export class ShopController {
  constructor(
    private readonly tenants: TenantsService,
    private readonly apiKeys: ApiKeysService,
    private readonly orders: OrdersService,
  ) {}

  @Post('tenants')
  async createTenant(
    @Body() body: { name: string },
  ): Promise<{ tenantId: string; apiKey: string }> {
    const tenant = await this.tenants.create(body.name);
    const { key } = await this.apiKeys.create(tenant.id);
    return { tenantId: tenant.id, apiKey: key };
  }

  @Post('orders')
  async placeOrder(
    @Body() body: { tenantId: string; totalCents: number; decline?: boolean },
  ): Promise<{ orderId: string }> {
    try {
      const order = await this.orders.placeOrder(body.tenantId, body.totalCents, !!body.decline);
      return { orderId: order.id };
    } catch (error) {
      if (error instanceof CardDeclined) throw new UnprocessableEntityException(error.message);
      throw error;
    }
  }
}
