import { PickType } from '@nestjs/swagger';
import { ReadEventsQuery } from './read-events.query';

/** Query of `GET /v1/events/stream`: a long poll's, without `wait` and `limit`. */
export class StreamEventsQuery extends PickType(ReadEventsQuery, ['topics', 'after', 'tenantId']) {}
