import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { handleDroppedConnections } from './handle-dropped-connections';

/**
 * Applies {@link handleDroppedConnections} to the DataSource Herald uses (the host's), so a
 * connection the server drops cannot end the process, in the service and in any host alike.
 */
@Injectable()
export class DroppedConnectionListener implements OnModuleInit {
  private readonly logger = new Logger('HeraldDatabase');

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  onModuleInit(): void {
    handleDroppedConnections(this.dataSource, this.logger);
  }
}
