import { Inject, Injectable } from '@nestjs/common';
import { ControlListener } from '../common/postgres/control-listener';
import { API_KEY_REVOKED_CHANNEL, HTTP_MOUNTED } from '../notifications.constants';
import { ApiKeysService } from './api-keys.service';

/**
 * Hears revocations made on any instance (on the process's control connection, in processes that
 * serve HTTP) and drops the key here at once: from the cache, and whatever it holds open. Each
 * (re)connection starts by forgetting every cached key and ending what revoked keys hold, since
 * revocations made while disconnected were not heard.
 */
@Injectable()
export class ApiKeyRevocationListener {
  constructor(
    @Inject(ControlListener) control: ControlListener,
    @Inject(ApiKeysService) apiKeys: ApiKeysService,
    @Inject(HTTP_MOUNTED) httpMounted: boolean,
  ) {
    if (!httpMounted) return;
    control.subscribe(API_KEY_REVOKED_CHANNEL, {
      notification: (keyId) => {
        if (keyId) apiKeys.forget(keyId);
      },
      connected: () => apiKeys.forgetMissedRevocations(),
    });
  }
}
