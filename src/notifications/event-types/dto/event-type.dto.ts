import { ApiProperty } from '@nestjs/swagger';
import { eventTypeExample } from '../event-type-example';
import type { EventTypeView } from '../event-type.types';

/** An event type as the API shows it. */
export class EventTypeDto {
  @ApiProperty({ example: 'order.created' })
  name!: string;

  @ApiProperty({ type: String, nullable: true, example: 'An order was placed' })
  description!: string | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: "The payload's JSON Schema (2020-12); null when any JSON object goes",
    example: { type: 'object', required: ['orderId'], properties: { orderId: { type: 'string' } } },
  })
  schema!: Record<string, unknown> | null;

  @ApiProperty()
  deprecated!: boolean;

  @ApiProperty({
    enum: ['code', 'api'],
    description:
      "`code`: in the host's module options, fixed; `api`: by an admin with PUT, who may change or delete it",
  })
  declaredIn!: 'code' | 'api';

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description:
      'An example payload built from the schema (its own examples and defaults where it has them); null when there is no schema',
    example: { orderId: 'string' },
  })
  example!: unknown;
}

/** Maps a catalog entry to its API form. */
export function toEventTypeDto(view: EventTypeView): EventTypeDto {
  return {
    name: view.name,
    description: view.description,
    schema: view.schema,
    deprecated: view.deprecated,
    declaredIn: view.declaredIn,
    example: eventTypeExample(view.schema),
  };
}
