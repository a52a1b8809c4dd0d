import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap } from '@nestjs/common';
import { AuthConfig } from './auth.config.js';
import { AuthService } from './auth.service.js';

/** Creates the ADMIN_EMAIL account at start when it does not exist (docs/contract.md "Configuration"). */
@Injectable()
export class AdminBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger(AdminBootstrap.name);

  constructor(
    @Inject(AuthConfig) private readonly config: AuthConfig,
    private readonly auth: AuthService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { ADMIN_EMAIL: email, ADMIN_PASSWORD: password } = this.config;
    if (!email || !password) return;
    const created = await this.auth.ensureAccount({ email, password, name: 'Admin', roles: ['admin'] });
    if (created) this.logger.log(`created admin account ${email.toLowerCase()}`);
  }
}
